import { type BerthConfig } from '../../../libs/config';
import { type Logger } from '../../../libs/logger';
import { clientKeyOf } from './client-address';
import { type Middleware, rateLimit } from './rate-limit';

/**
 * The limit of the login routes (`/auth/login`, `/auth/callback`): BERTH_RATE_LIMIT_LOGIN_PER_MINUTE
 * requests per client address and minute, counted together when one instance is mounted on both.
 */
export function loginRateLimit(config: BerthConfig, log: Logger): Middleware {
  return rateLimit({
    name: 'login',
    limit: config.rateLimits.loginPerMinute,
    windowMs: 60_000,
    key: clientKeyOf(config.api.trustedProxies),
    log,
  });
}
