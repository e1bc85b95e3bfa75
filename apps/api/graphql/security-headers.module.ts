import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { applySecurityHeaders } from './security-headers';

/** Puts the security headers on every response of the api, GraphQL's included. */
@Module({})
export class SecurityHeadersModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(applySecurityHeaders).forRoutes('{*path}');
  }
}
