import { Inject, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { type BerthConfig } from '../../../libs/config';
import { BERTH_CONFIG } from '../tokens';
import { applySecurityHeaders } from './security-headers';

/** Puts the security headers on every response of the api, GraphQL's included. */
@Module({})
export class SecurityHeadersModule implements NestModule {
  constructor(@Inject(BERTH_CONFIG) private readonly config: BerthConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(applySecurityHeaders(this.config.api.publicUrl)).forRoutes('{*path}');
  }
}
