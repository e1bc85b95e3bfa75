import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Logger } from '../../../libs/logger';
import { answerRateLimited, logRefusal, type Middleware, RateLimiter } from './rate-limit';

export interface AuthFailureLimitOptions {
  /** 401 answers per window and client; 0 turns the limit off. */
  limit: number;
  windowMs: number;
  /** The client a request comes from (clientKeyOf). */
  key(req: IncomingMessage): string | undefined;
  log: Logger;
  maxKeys?: number;
  now?: () => number;
}

/**
 * Express middleware that slows down credential guessing: it counts the requests of each client
 * that are answered 401, whichever route or credential check refused them (GraphQL's context,
 * the codec and inventory endpoints), by watching the status of the answer, not by asking the
 * authentication code. Once a client has used up its allowance, every request it makes is
 * answered 429 until one failure's worth has refilled: which request would have succeeded cannot
 * be known before it runs, and telling it would be the answer a guesser wants.
 *
 * A failure is counted when its answer is sent, so requests already in flight when the
 * allowance runs out still run; their failures are a debt the client then waits out as well.
 * WebSocket subscriptions refused at connection (close 4403) are not HTTP answers and are not
 * counted.
 */
export function authFailureLimit(options: AuthFailureLimitOptions): Middleware {
  if (options.limit === 0) return (_req, _res, next) => next();
  const limiter = new RateLimiter(options);
  return (req, res, next) => {
    const key = options.key(req);
    if (key === undefined) return next();
    const decision = limiter.peek(key);
    if (!decision.allowed) {
      logRefusal(options.log, 'auth-failures', key, decision);
      refuse(req, res, decision.retryAfterSeconds);
      return;
    }
    res.once('finish', () => {
      if (res.statusCode === 401) limiter.record(key);
    });
    next();
  };
}

/** GraphQL clients get a GraphQL error they can switch on; other routes the plain JSON body. */
function refuse(req: IncomingMessage, res: ServerResponse, retryAfterSeconds: number): void {
  const path = ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0];
  if (path === '/graphql' || path?.startsWith('/graphql/')) {
    answerRateLimited(res, retryAfterSeconds, {
      errors: [
        {
          message: `too many refused credentials from this address; try again in ${retryAfterSeconds} s`,
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds },
        },
      ],
    });
  } else {
    answerRateLimited(res, retryAfterSeconds, { error: 'rate_limited', retryAfterSeconds });
  }
}
