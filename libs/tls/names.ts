/**
 * DNS names as certificates carry them. A name is lower-case, without a trailing dot; a wildcard
 * is `*.` before a name of at least two labels.
 */

/** A lower-case DNS name of at least two labels, nothing else (no wildcard, no trailing dot). */
export const dnsNamePattern =
  /^(?=.{4,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** A DNS name, or `*.` and a DNS name: what a certificate may be requested for. */
export const certificateNamePattern = new RegExp(`^(\\*\\.)?${dnsNamePattern.source.slice(1)}`);

export function isCertificateName(name: string): boolean {
  return certificateNamePattern.test(name);
}

/** A name as written in a certificate, compared without case or a trailing dot. */
export function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/**
 * Whether a certificate name covers a requested name (RFC 6125, section 6.4.3, as browsers apply
 * it): equal names match; a wildcard `*.example.org` covers exactly one further label
 * (`shop.example.org`, not `example.org` nor `a.shop.example.org`), and only when the wildcard
 * is the whole left-most label of a name of at least three labels. A requested wildcard is
 * covered only by the same wildcard.
 */
export function covers(certificateName: string, requested: string): boolean {
  const san = canonicalName(certificateName);
  const name = canonicalName(requested);
  if (san === name) return true;
  if (!san.startsWith('*.') || name.startsWith('*.')) return false;
  const base = san.slice(2);
  if (base.includes('*') || base.split('.').length < 2) return false;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === base;
}

/** The requested names that none of the certificate's names cover, in the order given. */
export function uncoveredNames(certificateNames: readonly string[], requested: readonly string[]) {
  return requested.filter((name) => !certificateNames.some((san) => covers(san, name)));
}
