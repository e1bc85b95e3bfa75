import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Logger } from '../../../libs/logger';

/** Keys one limiter tracks at most: a few megabytes, whatever a flood of new keys sends. */
export const defaultMaxKeys = 10_000;

export interface RateLimiterOptions {
  /** Requests one key may make in a burst, and per window once its burst is spent; at least 1. */
  limit: number;
  windowMs: number;
  /** Past this many keys, the least recently seen one is forgotten (its allowance starts afresh). */
  maxKeys?: number;
  /** Milliseconds on a clock that does not jump back; tests pass their own. */
  now?: () => number;
}

export type RateLimitDecision =
  | { allowed: true; remaining: number }
  | {
      allowed: false;
      retryAfterMs: number;
      /** Whole seconds, at least 1: what `Retry-After` says. */
      retryAfterSeconds: number;
      /** Refusals in a row for this key, this one included: 1 is the first, worth a log line. */
      refusals: number;
    };

/**
 * A key's allowance, kept as milliseconds of credit (one request costs windowMs / limit) rather
 * than as fractional tokens, so that refills add whole milliseconds and tests see exact numbers.
 */
interface Bucket {
  credit: number;
  at: number;
  refusals: number;
}

/**
 * A token bucket per key, in memory: `limit` tokens, refilled continuously at `limit` per
 * `windowMs`, so a key may burst `limit` requests and then make one every `windowMs / limit`.
 * Memory is bounded by `maxKeys`: the map is kept in least-recently-used order, and a new key
 * past the cap evicts the oldest in O(1). A key that is not tracked has a full bucket, so
 * forgetting a key whose bucket has refilled loses nothing.
 *
 * Per process: N api replicas allow up to N times the limit.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly msPerToken: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  /** Keys forgotten to stay under maxKeys; a steady rise means the cap is too small or a flood. */
  evictions = 0;

  constructor(readonly options: RateLimiterOptions) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new RangeError(`limit must be a positive integer, got ${options.limit}`);
    }
    if (!(options.windowMs > 0)) {
      throw new RangeError(`windowMs must be positive, got ${options.windowMs}`);
    }
    this.msPerToken = options.windowMs / options.limit;
    this.maxKeys = Math.max(1, options.maxKeys ?? defaultMaxKeys);
    this.now = options.now ?? (() => performance.now());
  }

  /** Spends one of the key's tokens, or refuses when it has none left. */
  take(key: string): RateLimitDecision {
    return this.decide(key, true);
  }

  /** Whether the key has a token left, spending nothing (for limits counted after the answer). */
  peek(key: string): RateLimitDecision {
    return this.decide(key, false);
  }

  /**
   * Spends one token after the fact (a failure observed in an answer), even when none is left:
   * the bucket goes into debt, which the key waits out too, so requests that were already in
   * flight when its allowance ran out still count.
   */
  record(key: string): void {
    const bucket = this.refilled(key);
    bucket.credit -= this.msPerToken;
  }

  /** Keys tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  private decide(key: string, spend: boolean): RateLimitDecision {
    // An untracked key has a full bucket: peeking at one need not start tracking it.
    if (!spend && !this.buckets.has(key)) return { allowed: true, remaining: this.options.limit };
    const bucket = this.refilled(key);
    if (bucket.credit >= this.msPerToken) {
      if (spend) bucket.credit -= this.msPerToken;
      bucket.refusals = 0;
      return { allowed: true, remaining: Math.floor(bucket.credit / this.msPerToken) };
    }
    bucket.refusals += 1;
    const retryAfterMs = Math.ceil(this.msPerToken - bucket.credit);
    return {
      allowed: false,
      retryAfterMs,
      retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)),
      refusals: bucket.refusals,
    };
  }

  /** The key's bucket, topped up for the time since it was last touched, as most recently used. */
  private refilled(key: string): Bucket {
    const now = this.now();
    const full = this.options.windowMs;
    const bucket = this.buckets.get(key) ?? { credit: full, at: now, refusals: 0 };
    // A clock that went back refills nothing rather than draining the bucket.
    bucket.credit = Math.min(full, bucket.credit + Math.max(0, now - bucket.at));
    bucket.at = now;
    this.track(key, bucket);
    return bucket;
  }

  /** (Re)inserts the key as the most recently used, evicting the least recently used past the cap. */
  private track(key: string, bucket: Bucket): void {
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (!oldest.done) {
        this.buckets.delete(oldest.value);
        this.evictions += 1;
      }
    }
    this.buckets.set(key, bucket);
  }
}

/**
 * One warning when a key starts being refused, and debug lines for the refusals that follow, so
 * that a client hammering a closed door cannot flood the log. The key is an address or a user
 * id, never a credential.
 */
export function logRefusal(
  log: Logger,
  limit: string,
  key: string,
  decision: Extract<RateLimitDecision, { allowed: false }>,
): void {
  const fields = { limit, key, retryAfterSeconds: decision.retryAfterSeconds };
  if (decision.refusals === 1) log.warn(fields, 'rate limit reached');
  else log.debug({ ...fields, refusals: decision.refusals }, 'rate limit refusal');
}

/** Answers 429 with `Retry-After` and the given JSON body. */
export function answerRateLimited(
  res: ServerResponse,
  retryAfterSeconds: number,
  body: unknown,
): void {
  res.statusCode = 429;
  res.setHeader('Retry-After', String(retryAfterSeconds));
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(JSON.stringify(body));
}

export interface RateLimitOptions {
  /** Names the limit in logs. */
  name: string;
  /** Requests per window and key; 0 turns the limit off (the settings' convention). */
  limit: number;
  windowMs: number;
  /** The bucket a request counts against (a client address: see clientKeyOf); undefined: none. */
  key(req: IncomingMessage): string | undefined;
  log: Logger;
  maxKeys?: number;
  now?: () => number;
}

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * Express middleware: counts every request against its key's bucket and answers 429, with
 * `Retry-After` and `{ error: 'rate_limited', retryAfterSeconds }`, once the bucket is empty.
 * Each call makes its own buckets: mount one instance on several routes to count them together.
 */
export function rateLimit(options: RateLimitOptions): Middleware {
  if (options.limit === 0) return (_req, _res, next) => next();
  const limiter = new RateLimiter(options);
  return (req, res, next) => {
    const key = options.key(req);
    if (key === undefined) return next();
    const decision = limiter.take(key);
    if (decision.allowed) return next();
    logRefusal(options.log, options.name, key, decision);
    answerRateLimited(res, decision.retryAfterSeconds, {
      error: 'rate_limited',
      retryAfterSeconds: decision.retryAfterSeconds,
    });
  };
}
