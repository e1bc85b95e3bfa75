import {
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { type BerthConfig } from '../../../libs/config';
import { type Logger } from '../../../libs/logger';
import { BERTH_CONFIG, LOGGER } from '../tokens';
import { authFailureLimit } from './auth-failure-limit';
import { clientKeyOf } from './client-address';
import { graphqlCors } from './graphql-cors';

/**
 * The api's edge, before any route: CORS for /graphql (so that preflights are answered here and
 * rate-limited answers carry CORS headers too), then the limit on refused credentials per client
 * address, on every route but the health probes, which never authenticate and which a load
 * balancer must reach whatever its address did.
 */
@Module({})
export class EdgeModule implements NestModule {
  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(graphqlCors(this.config.api.corsOrigins)).forRoutes('graphql');
    consumer
      .apply(
        authFailureLimit({
          limit: this.config.rateLimits.authFailuresPerMinute,
          windowMs: 60_000,
          key: clientKeyOf(this.config.api.trustedProxies),
          log: this.log.child({ component: 'edge' }),
        }),
      )
      .exclude(
        { path: 'healthz', method: RequestMethod.GET },
        { path: 'readyz', method: RequestMethod.GET },
      )
      .forRoutes('{*path}');
  }
}
