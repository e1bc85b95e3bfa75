import { type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * For responses that are data, not pages (JSON, errors): nothing may load, run or frame them. The
 * explorer's page replaces it with its own policy (explorerContentSecurityPolicy).
 */
export const apiContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";

/** Headers every response of the api carries, whichever route or error produced it. */
export const securityHeaders: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': apiContentSecurityPolicy,
};

/**
 * Express middleware: sets securityHeaders before any handler runs, so a handler may still
 * replace one (the explorer sets its own Content-Security-Policy), and drops Express's
 * X-Powered-By, which only tells an attacker what to try.
 */
export function applySecurityHeaders(
  _req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
): void {
  for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
  res.removeHeader('X-Powered-By');
  next();
}
