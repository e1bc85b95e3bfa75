import { ApolloServer, type BaseContext, HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Injectable } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { type NextFunction, type Request, type Response } from 'express';
import { type Server as HttpServer } from 'node:http';

/** What the api's GraphQL context function is given for an HTTP request. */
type HttpContext = (request: { req: Request; res: Response }) => Promise<BaseContext>;

/**
 * Nest's Apollo driver, serving /graphql with the handler below instead of Apollo's Express
 * integration (`@as-integrations/express5`), which runs Node's legacy `url.parse` on every request
 * and answers through Express's `res.send`, which parses the content type Apollo has just set to
 * add the charset it already has. The two were 5% of the api's CPU on a sites list (profiled).
 * Everything else, the schema, plugins, subscriptions and the Nest hooks, is the driver's.
 */
@Injectable()
export class BerthApolloDriver extends ApolloDriver {
  constructor(modulesContainer: ModulesContainer) {
    super(modulesContainer);
  }

  protected override async registerExpress(
    options: ApolloDriverConfig,
    { preStartHook }: { preStartHook?: () => void } = {},
  ): Promise<void> {
    const httpAdapter = this.httpAdapterHost.httpAdapter;
    const path = options.path ?? '/graphql';
    const httpServer = httpAdapter.getHttpServer() as HttpServer;
    const drain = ApolloServerPluginDrainHttpServer({ httpServer });
    preStartHook?.();
    // As Nest's driver does: its options (the schema among them) are Apollo's, plus its own.
    const server = new ApolloServer<BaseContext>({
      ...(options as ConstructorParameters<typeof ApolloServer<BaseContext>>[0]),
      plugins: [...(options.plugins ?? []), drain],
    });
    await server.start();
    httpAdapter.use(path, graphqlHandler(server, options.context as HttpContext));
    this.apolloServer = server;
  }
}

/**
 * Answers one GraphQL request over HTTP: Apollo's Express integration, minus its costs. The body
 * is already parsed (Nest's JSON body parser runs first); an absent one is `{}`, which Apollo
 * refuses with a 400, as it does a GET without a query.
 */
export function graphqlHandler(server: ApolloServer<BaseContext>, context: HttpContext) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const httpGraphQLRequest: HTTPGraphQLRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      headers: headerMapOf(req.headers),
      search: searchOf(req.url),
      body: (req.body as unknown) ?? {},
    };
    server
      .executeHTTPGraphQLRequest({ httpGraphQLRequest, context: () => context({ req, res }) })
      .then(async (answer) => {
        for (const [key, value] of answer.headers) res.setHeader(key, value);
        res.statusCode = answer.status ?? 200;
        if (answer.body.kind === 'complete') {
          // As res.send did: the length always, a HEAD included (Node sends a HEAD no body).
          res.setHeader('content-length', Buffer.byteLength(answer.body.string));
          res.end(answer.body.string);
          return;
        }
        // Incremental delivery, which Berth's schema does not use (no @defer or @stream).
        for await (const chunk of answer.body.asyncIterator) res.write(chunk);
        res.end();
      })
      .catch(next);
  };
}

function headerMapOf(headers: Request['headers']): HeaderMap {
  const map = new HeaderMap();
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) map.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return map;
}

/** The query string of a request target, `?` included, as `url.parse(target).search ?? ''`. */
export function searchOf(target: string): string {
  const hash = target.indexOf('#');
  const path = hash < 0 ? target : target.slice(0, hash);
  const start = path.indexOf('?');
  return start < 0 ? '' : path.slice(start);
}
