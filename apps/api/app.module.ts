import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { type ApolloDriverConfig } from '@nestjs/apollo';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../../libs/config';
import { type Orm } from '../../libs/db/orm';
import { type Logger } from '../../libs/logger';
import { type IncomingMessage } from 'node:http';
import { AuthModule } from './auth/auth.module';
import { ApiTokensModule } from './tokens/api-tokens.module';
import { LoginSessionsModule } from './sessions/login-sessions.module';
import { authenticate, type AuthenticateDeps } from './auth/authenticate';
import { type ApiContext, csrfChecked, csrfPlugin } from './auth/csrf';
import { DirectoryMemberships } from './auth/memberships';
import { type Directory } from '../../activities/directory/port';
import { CertificatesModule } from './certificates/certificates.module';
import { CallbacksModule } from './callbacks/callbacks.module';
import { CodecModule } from './codec/codec.module';
import { DomainsModule } from './domains/domains.module';
import { EdgeModule } from './edge/edge.module';
import { InventoryModule } from './inventory/inventory.module';
import { ExplorerModule } from './explorer/explorer.module';
import { BerthApolloDriver } from './graphql/apollo-driver';
import { formatGraphQLError } from './graphql/graphql-errors';
import { queryLimitsPlugin } from './graphql/query-limits.plugin';
import { queryLimitRules } from './graphql/query-limits.rules';
import { SecurityHeadersModule } from './graphql/security-headers.module';
import { HealthModule } from './health/health.module';
import { FleetModule } from './fleet/fleet.module';
import { NetworkModule } from './network/network.module';
import { NotificationsModule } from './notifications/notifications.module';
import { OperationsModule } from './operations/operations.module';
import { PackagesModule } from './packages/packages.module';
import { createSiteChildLoaders } from './sites/site-children.loader';
import { SitesModule } from './sites/sites.module';
import { SiteAdminsModule } from './site-admins/site-admins.module';
import { SiteNotesModule } from './site-notes/site-notes.module';
import { DatabasePasswordModule } from './database-password/database-password.module';
import { SnapshotsModule } from './snapshots/snapshots.module';
import { SiteSupportModule } from './support/site-support.module';
import { TestServersModule } from './test-servers/test-servers.module';
import { BackupsModule } from './backups/backups.module';
import { SshKeysModule } from './ssh-keys/ssh-keys.module';
import { AUTHENTICATE_DEPS, BERTH_CONFIG, DIRECTORY, LOGGER, ORM, TEMPORAL_CLIENT } from './tokens';

export interface ApiDependencies {
  config: BerthConfig;
  orm: Orm;
  temporal: Client;
  log: Logger;
  /** Read for callers' groups (authorisation) and people's names and addresses. */
  directory: Directory;
}

/** Process-wide dependencies, made by the api's main (or a test) and shared with every module. */
@Global()
@Module({})
class DependenciesModule {
  static forRoot(deps: ApiDependencies, auth: AuthenticateDeps): DynamicModule {
    const providers = [
      { provide: BERTH_CONFIG, useValue: deps.config },
      { provide: ORM, useValue: deps.orm },
      { provide: TEMPORAL_CLIENT, useValue: deps.temporal },
      { provide: LOGGER, useValue: deps.log },
      { provide: DIRECTORY, useValue: deps.directory },
      { provide: AUTHENTICATE_DEPS, useValue: auth },
    ];
    return { module: DependenciesModule, providers, exports: providers.map((p) => p.provide) };
  }
}

function bearerOf(params: Record<string, unknown> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

/**
 * The GraphQL schema's modules. schema.graphql is printed from their resolvers as listed in
 * graphql/schema-text.ts: a resolver added here goes there too (the authorization matrix checks
 * that the api serves what schema.graphql says).
 */
export const graphqlModules = [
  SitesModule,
  CertificatesModule,
  OperationsModule,
  FleetModule,
  NetworkModule,
  ApiTokensModule,
  LoginSessionsModule,
  SshKeysModule,
  SiteAdminsModule,
  SiteNotesModule,
  NotificationsModule,
  DomainsModule,
  PackagesModule,
  SnapshotsModule,
  TestServersModule,
  SiteSupportModule,
  BackupsModule,
  DatabasePasswordModule,
];

@Module({})
export class AppModule {
  static forRoot(deps: ApiDependencies): DynamicModule {
    const auth: AuthenticateDeps = {
      config: deps.config,
      log: deps.log,
      orm: deps.orm,
      memberships: new DirectoryMemberships(deps.directory, {
        ttlMs: deps.config.directory.cacheSeconds * 1000,
      }),
    };
    return {
      module: AppModule,
      imports: [
        DependenciesModule.forRoot(deps, auth),
        SecurityHeadersModule,
        // After the headers (so its 429s and preflights carry them), before every route.
        EdgeModule,
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: BerthApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          playground: false,
          introspection: true,
          includeStacktraceInErrorResponses: false,
          // One operation per request: a JSON array of operations would multiply every limit.
          allowBatchedHttpRequests: false,
          validationRules: queryLimitRules(),
          // Berth gives no cache hints, and Apollo's default cache-control plugin would wrap every
          // field's resolver to collect them (7% of the api's CPU per sites list, benchmarked).
          plugins: [queryLimitsPlugin(), csrfPlugin(), ApolloServerPluginCacheControlDisabled()],
          formatError: formatGraphQLError(deps.log),
          // HTTP requests carry a token in their Authorization header or a login session in a
          // cookie (whose mutations also need its CSRF token); subscriptions over WebSocket
          // (graphql-ws) a token in the connection's parameters, `{ "authorization": "Bearer ..." }`,
          // never a cookie (any page may open a WebSocket with the browser's cookies), and a
          // connection without a valid one is refused when it opens.
          context: async (request: {
            req?: IncomingMessage;
            connectionParams?: Record<string, unknown>;
          }): Promise<ApiContext> => {
            const presented = request.req
              ? {
                  authorization: request.req.headers.authorization,
                  cookie: request.req.headers.cookie,
                }
              : { authorization: bearerOf(request.connectionParams) };
            const principal = await authenticate(auth, presented);
            return {
              loaders: createSiteChildLoaders(deps.orm),
              principal,
              csrfChecked: request.req ? csrfChecked(auth.config, principal, request.req) : true,
            };
          },
          subscriptions: {
            'graphql-ws': {
              path: '/graphql',
              // false closes the connection with 4403 Forbidden.
              onConnect: async (ctx: { connectionParams?: Record<string, unknown> }) => {
                try {
                  await authenticate(auth, { authorization: bearerOf(ctx.connectionParams) });
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
