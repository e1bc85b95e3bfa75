import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../../libs/config';
import { type Orm } from '../../libs/db/orm';
import { type Logger } from '../../libs/logger';
import { type IncomingMessage } from 'node:http';
import { AuthModule } from './auth/auth.module';
import { ApiTokensModule } from './tokens/api-tokens.module';
import { authenticate } from './auth/authenticate';
import { CallbacksModule } from './callbacks/callbacks.module';
import { CodecModule } from './codec/codec.module';
import { InventoryModule } from './inventory/inventory.module';
import { ExplorerModule } from './explorer/explorer.module';
import { formatGraphQLError } from './graphql/graphql-errors';
import { queryLimitsPlugin } from './graphql/query-limits.plugin';
import { queryLimitRules } from './graphql/query-limits.rules';
import { SecurityHeadersModule } from './graphql/security-headers.module';
import { HealthModule } from './health/health.module';
import { FleetModule } from './fleet/fleet.module';
import { NetworkModule } from './network/network.module';
import { OperationsModule } from './operations/operations.module';
import { createSiteChildLoaders } from './sites/site-children.loader';
import { SitesModule } from './sites/sites.module';
import { SshKeysModule } from './ssh-keys/ssh-keys.module';
import { BERTH_CONFIG, LOGGER, ORM, TEMPORAL_CLIENT } from './tokens';

export interface ApiDependencies {
  config: BerthConfig;
  orm: Orm;
  temporal: Client;
  log: Logger;
}

/** Process-wide dependencies, made by the api's main (or a test) and shared with every module. */
@Global()
@Module({})
class DependenciesModule {
  static forRoot(deps: ApiDependencies): DynamicModule {
    const providers = [
      { provide: BERTH_CONFIG, useValue: deps.config },
      { provide: ORM, useValue: deps.orm },
      { provide: TEMPORAL_CLIENT, useValue: deps.temporal },
      { provide: LOGGER, useValue: deps.log },
    ];
    return { module: DependenciesModule, providers, exports: providers.map((p) => p.provide) };
  }
}

function bearerOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/** The GraphQL schema's modules, also used to print schema.graphql. */
export const graphqlModules = [
  SitesModule,
  OperationsModule,
  FleetModule,
  NetworkModule,
  ApiTokensModule,
  SshKeysModule,
];

@Module({})
export class AppModule {
  static forRoot(deps: ApiDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DependenciesModule.forRoot(deps),
        SecurityHeadersModule,
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          playground: false,
          introspection: true,
          includeStacktraceInErrorResponses: false,
          // One operation per request: a JSON array of operations would multiply every limit.
          allowBatchedHttpRequests: false,
          validationRules: queryLimitRules(),
          plugins: [queryLimitsPlugin()],
          formatError: formatGraphQLError(deps.log),
          // HTTP requests carry the token in their Authorization header; subscriptions over
          // WebSocket (graphql-ws) in the connection's parameters, `{ "authorization": "Bearer ..." }`,
          // and a connection without a valid one is refused when it opens.
          context: async (request: {
            req?: IncomingMessage;
            connectionParams?: Record<string, unknown>;
          }) => ({
            loaders: createSiteChildLoaders(deps.orm),
            principal: await authenticate(
              deps,
              request.req ? request.req.headers.authorization : bearerOf(request.connectionParams),
            ),
          }),
          subscriptions: {
            'graphql-ws': {
              path: '/graphql',
              // false closes the connection with 4403 Forbidden.
              onConnect: async (ctx: { connectionParams?: Record<string, unknown> }) => {
                try {
                  await authenticate(deps, bearerOf(ctx.connectionParams));
                  return true;
                } catch {
                  return false;
                }
              },
            },
          },
        }),
        AuthModule,
        ...graphqlModules,
        CallbacksModule,
        CodecModule,
        InventoryModule,
        HealthModule,
        ExplorerModule,
      ],
    };
  }
}
