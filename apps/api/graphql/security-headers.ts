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
 * Browsers that reached the api over https keep to https for a year. Sent only when the api's
 * public URL is https (TLS may end at a proxy in front of it): over plain http a browser ignores
 * it, and a development setup must not be pinned to a TLS it does not have. Subdomains are left
 * alone: they are other services' to decide.
 */
export const strictTransportSecurity = 'max-age=31536000';

/** The headers of every response of an api whose public URL is `publicUrl`. */
export function securityHeadersFor(publicUrl: string): Readonly<Record<string, string>> {
  return publicUrl.startsWith('https://')
    ? { ...securityHeaders, 'Strict-Transport-Security': strictTransportSecurity }
    : securityHeaders;
}

/**
 * Express middleware: sets the security headers before any handler runs, so a handler may still
 * replace one (the explorer sets its own Content-Security-Policy), and drops Express's
 * X-Powered-By, which only tells an attacker what to try.
 */
export function applySecurityHeaders(publicUrl: string) {
  const headers = Object.entries(securityHeadersFor(publicUrl));
  return (_req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    for (const [name, value] of headers) res.setHeader(name, value);
    res.removeHeader('X-Powered-By');
    next();
  };
}
