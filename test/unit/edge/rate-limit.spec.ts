import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { authFailureLimit } from '../../../apps/api/edge/auth-failure-limit';
import { type Middleware, rateLimit, RateLimiter } from '../../../apps/api/edge/rate-limit';
import { createLogger } from '../../../libs/logger';

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

describe(RateLimiter.name, () => {
  it('allows a burst of `limit` requests, then refuses with the time until the next token', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 3, windowMs: 60_000, now: clock.now });
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({
      allowed: false,
      retryAfterMs: 20_000,
      retryAfterSeconds: 20,
      refusals: 1,
    });
  });

  it('refills continuously at limit per window, never past the limit', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 3, windowMs: 60_000, now: clock.now });
    for (let i = 0; i < 3; i += 1) limiter.take('a');

    clock.advance(19_999);
    expect(limiter.take('a')).toMatchObject({ allowed: false, retryAfterMs: 1 });
    clock.advance(1);
    expect(limiter.take('a')).toEqual({ allowed: true, remaining: 0 });
    expect(limiter.take('a').allowed).toBe(false);

    // A day idle is worth one window, not 72 of them.
    clock.advance(86_400_000);
    expect([1, 2, 3, 4].map(() => limiter.take('a').allowed)).toEqual([true, true, true, false]);
  });

  it('rounds Retry-After up to whole seconds, and to at least one', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 10, windowMs: 1_000, now: clock.now });
    for (let i = 0; i < 10; i += 1) limiter.take('a');
    expect(limiter.take('a')).toMatchObject({ retryAfterMs: 100, retryAfterSeconds: 1 });

    const slow = new RateLimiter({ limit: 2, windowMs: 3_000, now: clock.now });
    slow.take('a');
    slow.take('a');
    clock.advance(1);
    // 1.5 s per token, 1 ms of it gone: 1,499 ms, which is 2 s as a whole number.
    expect(slow.take('a')).toMatchObject({ retryAfterMs: 1_499, retryAfterSeconds: 2 });
  });

  it('keeps one bucket per key', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000, now: clock.now });
    expect(limiter.take('192.0.2.1').allowed).toBe(true);
    expect(limiter.take('192.0.2.1').allowed).toBe(false);
    expect(limiter.take('192.0.2.2').allowed).toBe(true);
  });

  it('counts refusals in a row and starts again after an allowed request', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 1_000, now: clock.now });
    limiter.take('a');
    expect([1, 2, 3].map(() => limiter.take('a'))).toMatchObject([
      { refusals: 1 },
      { refusals: 2 },
      { refusals: 3 },
    ]);
    clock.advance(1_000);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a')).toMatchObject({ allowed: false, refusals: 1 });
  });

  it('peeks without spending, and without tracking a key it has not seen', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000, now: clock.now });
    expect(limiter.peek('new')).toEqual({ allowed: true, remaining: 2 });
    expect(limiter.size).toBe(0);
    limiter.take('a');
    for (let i = 0; i < 5; i += 1) expect(limiter.peek('a').allowed).toBe(true);
    limiter.take('a');
    expect(limiter.peek('a')).toMatchObject({ allowed: false, retryAfterSeconds: 30 });
  });

  it('records failures after the fact as a debt the key waits out', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000, now: clock.now });
    // Four failures were in flight together: two within the allowance, two beyond it.
    for (let i = 0; i < 4; i += 1) limiter.record('a');
    // Two tokens in debt plus the one needed: 3 × 30 s.
    expect(limiter.peek('a')).toMatchObject({ allowed: false, retryAfterSeconds: 90 });
    clock.advance(89_999);
    expect(limiter.peek('a').allowed).toBe(false);
    clock.advance(1);
    expect(limiter.peek('a').allowed).toBe(true);
  });

  it('refills nothing, and drains nothing, when the clock goes back', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000, now: clock.now });
    limiter.take('a');
    clock.set(0);
    expect(limiter.take('a')).toEqual({ allowed: true, remaining: 0 });
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('holds at most maxKeys keys under a flood of new ones', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 100, now: clock.now });
    for (let i = 0; i < 10_000; i += 1) limiter.take(`flood-${i}`);
    expect(limiter.size).toBe(100);
    expect(limiter.evictions).toBe(9_900);
  });

  it('evicts the least recently used key first, so an active key keeps its count', () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 3, now: clock.now });
    limiter.take('attacker');
    limiter.take('idle');
    limiter.take('other');
    // Touching the attacker's key (a refusal) makes it the most recently used.
    expect(limiter.take('attacker').allowed).toBe(false);
    limiter.take('newcomer');
    expect(limiter.evictions).toBe(1);
    expect(limiter.take('attacker').allowed).toBe(false);
    // The idle key was forgotten: its allowance starts afresh.
    expect(limiter.take('idle').allowed).toBe(true);
  });

  it('refuses a limit below one and a window that is not positive', () => {
    expect(() => new RateLimiter({ limit: 0, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => new RateLimiter({ limit: 1.5, windowMs: 1_000 })).toThrow(RangeError);
    expect(() => new RateLimiter({ limit: 1, windowMs: 0 })).toThrow(RangeError);
  });
});

/** Log lines as objects, captured from a real pino logger. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(
    { level: 'debug', name: 'edge-test' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}

/**
 * A loopback HTTP server that runs `middleware` and then answers with the status the request
 * names in `x-answer` (200 otherwise); requests name their client in `x-client`.
 */
async function serve(middleware: Middleware): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    middleware(req, res, () => {
      res.statusCode = Number(req.headers['x-answer'] ?? 200);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const byHeader = (req: { headers: Record<string, unknown> }) =>
  typeof req.headers['x-client'] === 'string' ? req.headers['x-client'] : undefined;

describe('rate limit middleware over HTTP', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  it('answers 429 with Retry-After and a JSON body past the limit, per key, and logs once', async () => {
    const { log, lines } = capturedLog();
    const clock = manualClock();
    const served = await serve(
      rateLimit({ name: 'login', limit: 2, windowMs: 60_000, key: byHeader, log, now: clock.now }),
    );
    server = served.server;
    const get = (client: string) =>
      fetch(`${served.url}/auth/login`, {
        headers: { 'x-client': client, authorization: 'Bearer do-not-log-me' },
      });

    expect((await get('192.0.2.1')).status).toBe(200);
    expect((await get('192.0.2.1')).status).toBe(200);
    const refused = await get('192.0.2.1');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await refused.json()).toEqual({ error: 'rate_limited', retryAfterSeconds: 30 });
    expect((await get('192.0.2.1')).status).toBe(429);
    expect((await get('192.0.2.2')).status).toBe(200);

    const warnings = lines.filter((line) => line.msg === 'rate limit reached');
    expect(warnings).toEqual([
      expect.objectContaining({ limit: 'login', key: '192.0.2.1', retryAfterSeconds: 30 }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('do-not-log-me');
  });

  it('lets everything through with a limit of 0', async () => {
    const { log } = capturedLog();
    const served = await serve(
      rateLimit({ name: 'off', limit: 0, windowMs: 60_000, key: byHeader, log }),
    );
    server = served.server;
    for (let i = 0; i < 5; i += 1) {
      expect((await fetch(served.url, { headers: { 'x-client': 'a' } })).status).toBe(200);
    }
  });
});

describe('auth failure limit over HTTP', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function start(limit: number) {
    const { log, lines } = capturedLog();
    const clock = manualClock();
    const served = await serve(
      authFailureLimit({ limit, windowMs: 60_000, key: byHeader, log, now: clock.now }),
    );
    server = served.server;
    const send = (client: string, path: string, answer: number) =>
      fetch(`${served.url}${path}`, {
        method: 'POST',
        headers: { 'x-client': client, 'x-answer': String(answer) },
      });
    return { send, clock, lines };
  }

  it('counts only 401 answers, then refuses every request of that client', async () => {
    const { send } = await start(2);
    for (const status of [200, 403, 404, 500, 200]) {
      expect((await send('192.0.2.1', '/inventory', status)).status).toBe(status);
    }
    expect((await send('192.0.2.1', '/inventory', 401)).status).toBe(401);
    expect((await send('192.0.2.1', '/codec/decode', 401)).status).toBe(401);

    // Even a request that would succeed: which one would is what a guesser wants to learn.
    const refused = await send('192.0.2.1', '/inventory', 200);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect(await refused.json()).toEqual({ error: 'rate_limited', retryAfterSeconds: 30 });
    expect((await send('192.0.2.2', '/inventory', 200)).status).toBe(200);
  });

  it('answers GraphQL clients with a RATE_LIMITED error, and lets one more try once refilled', async () => {
    const { send, clock, lines } = await start(1);
    expect((await send('192.0.2.1', '/graphql', 401)).status).toBe(401);
    const refused = await send('192.0.2.1', '/graphql?op=x', 200);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      errors: [
        {
          message: 'too many refused credentials from this address; try again in 60 s',
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 60 },
        },
      ],
    });
    expect((await send('192.0.2.1', '/graphql', 200)).status).toBe(429);
    expect(lines.filter((line) => line.msg === 'rate limit reached')).toHaveLength(1);

    clock.advance(60_000);
    expect((await send('192.0.2.1', '/graphql', 200)).status).toBe(200);
  });
});
