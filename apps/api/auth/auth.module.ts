import { Global, Inject, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { type BerthConfig } from '../../../libs/config';
import { type Logger } from '../../../libs/logger';
import { loginRateLimit } from '../edge/login-rate-limit';
import { BERTH_CONFIG, LOGGER } from '../tokens';
import { LoginController } from './login.controller';
import { SiteAccessService } from './site-access.service';

@Global()
@Module({
  controllers: [LoginController],
  providers: [SiteAccessService],
  exports: [SiteAccessService],
})
export class AuthModule implements NestModule {
  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** One limit for both login routes: a login is two requests from one client address. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(loginRateLimit(this.config, this.log)).forRoutes('auth/login', 'auth/callback');
  }
}
