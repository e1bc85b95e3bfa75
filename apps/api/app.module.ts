import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { type Client } from '@temporalio/client';
import { type BerthConfig } from '../../libs/config';
import { type Orm } from '../../libs/db/orm';
import { type Logger } from '../../libs/logger';
import { type IncomingMessage } from 'node:http';
import { AuthModule } from './auth/auth.module';
import { authenticate } from './auth/authenticate';
import { CallbacksModule } from './callbacks/callbacks.module';
import { formatGraphQLError } from './graphql/graphql-errors';
import { HealthModule } from './health/health.module';
import { OperationsModule } from './operations/operations.module';
import { SitesModule } from './sites/sites.module';
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

/** The GraphQL schema's modules, also used to print schema.graphql. */
export const graphqlModules = [SitesModule, OperationsModule];

@Module({})
export class AppModule {
  static forRoot(deps: ApiDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DependenciesModule.forRoot(deps),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          playground: false,
          introspection: true,
          includeStacktraceInErrorResponses: false,
          formatError: formatGraphQLError(deps.log),
          context: ({ req }: { req: IncomingMessage }) => ({
            principal: authenticate(deps.config, deps.log, req.headers.authorization),
          }),
        }),
        AuthModule,
        ...graphqlModules,
        CallbacksModule,
        HealthModule,
      ],
    };
  }
}
