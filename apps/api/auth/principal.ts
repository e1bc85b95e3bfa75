/** Who is calling. */
export interface Principal {
  userId: string;
}

/**
 * TODO(#3): resolve the caller from a signed development token (embedded profile) and, later,
 * OIDC (#7). Until then every request acts as the one anonymous user.
 */
export function resolvePrincipal(): Principal {
  return { userId: 'anonymous' };
}
