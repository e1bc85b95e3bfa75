import { type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { explorerPaths } from './explorer-page';
import { ExplorerController } from './explorer.controller';

/** The offline explorer at /explorer; a browser that opens /graphql is sent there. */
@Module({ controllers: [ExplorerController] })
export class ExplorerModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(redirectBrowsersToExplorer)
      .forRoutes({ path: explorerPaths.graphql, method: RequestMethod.GET });
  }
}

/**
 * A GET of /graphql that asks for a page and carries no query is a person with a browser, not a
 * client: Apollo would answer 400, so send them to the explorer instead.
 */
export function redirectBrowsersToExplorer(
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
): void {
  const wantsPage = (req.headers.accept ?? '').includes('text/html');
  const hasQuery = new URL(req.url ?? '/', 'http://api.invalid').searchParams.has('query');
  if (req.method === 'GET' && wantsPage && !hasQuery) {
    res.statusCode = 302;
    res.setHeader('Location', explorerPaths.page);
    res.end();
    return;
  }
  next();
}
