import { type ServerResponse } from 'node:http';
import { type Middleware } from './rate-limit';
import { csrfHeaderName } from '../../../libs/auth/session';

/**
 * Request headers a cross-origin page may send: JSON bodies, bearer tokens, the CSRF header of
 * cookie sessions, and Apollo's own header, which lets a GET query past Apollo's CSRF check.
 */
export const corsAllowedHeaders = [
  'content-type',
  'authorization',
  csrfHeaderName,
  'apollo-require-preflight',
] as const;

export const corsAllowedMethods = ['GET', 'POST', 'OPTIONS'] as const;

/** How long a browser may reuse a preflight's answer. */
const preflightMaxAgeSeconds = 600;

/**
 * CORS for /graphql: pages on the listed origins (exact matches; no wildcards, since credentials
 * are allowed) may call it with credentials. A preflight from a listed origin is answered 204
 * with what it may send; one from any other origin 403, with no CORS headers. Other requests from
 * unlisted origins run as they would without CORS headers, and the browser keeps their answers
 * from the page: same-origin callers (the explorer) send an `Origin` too and must keep working.
 * Every answer varies by `Origin`, so no cache serves one origin's answer to another.
 */
export function graphqlCors(origins: readonly string[]): Middleware {
  const listed = new Set(origins);
  return (req, res, next) => {
    addVary(res, 'Origin');
    const origin = req.headers.origin;
    const allowed = origin !== undefined && listed.has(origin);
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    const preflight =
      req.method === 'OPTIONS' &&
      origin !== undefined &&
      req.headers['access-control-request-method'] !== undefined;
    if (!preflight) {
      // A page may read when to retry a rate-limited request.
      if (allowed) res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
      return next();
    }
    if (allowed) {
      res.setHeader('Access-Control-Allow-Methods', corsAllowedMethods.join(', '));
      res.setHeader('Access-Control-Allow-Headers', corsAllowedHeaders.join(', '));
      res.setHeader('Access-Control-Max-Age', String(preflightMaxAgeSeconds));
    }
    res.statusCode = allowed ? 204 : 403;
    res.end();
  };
}

function addVary(res: ServerResponse, header: string): void {
  const current = res.getHeader('Vary');
  const values = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (values.some((value) => value === '*' || value.toLowerCase() === header.toLowerCase())) {
    return;
  }
  res.setHeader('Vary', [...values, header].join(', '));
}
