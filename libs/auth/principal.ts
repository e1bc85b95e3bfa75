/**
 * What a token may be used for. A closed list: a token naming anything else is refused, so a
 * scope added here is a deliberate change that every verifier sees at once.
 */
export const scopes = ['sites:read', 'sites:write', 'operator'] as const;

export type Scope = (typeof scopes)[number];

/**
 * User ids and group names are directory uids. A credential naming anything else is refused, not
 * normalised, so that two spellings can never reach one user's sites.
 */
export const directoryNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * Who is calling, resolved once per request from the credential it presented and passed inward as
 * data; resolvers authorise against it, services record `userId` as the actor.
 */
export interface Principal {
  /** Directory uid. */
  userId: string;
  /** Directory groups (uids of groups), which per-site roles may be granted to. */
  groups: string[];
  /** The caller is a Berth operator according to its credential. */
  operator: boolean;
  /** What this credential allows, whatever the user could do with another one. */
  scopes: Scope[];
  /**
   * How the caller authenticated: a development token (embedded profile), an API token, an OIDC
   * bearer access token, or a browser session made by logging in through OIDC.
   */
  via: 'dev-token' | 'api-token' | 'oidc' | 'session';
  /** The API token presented, when `via` is `api-token` (for logs and audit, never a secret). */
  tokenId?: string;
  /** The login session, when `via` is `session` (its public id, never its secret). */
  sessionId?: string;
  /**
   * Only these sites, whatever the user administers (a per-site API token); absent means no such
   * limit. A limited credential is never an operator's.
   */
  siteIds?: string[];
}

/**
 * What a verified credential says by itself: who is calling and what the credential allows. The
 * caller's groups, and with them the operator flag, come from the directory (the api's
 * DirectoryMemberships), never from the credential, so that leaving a group takes effect at once
 * for every credential the user holds.
 */
export type Credential = Omit<Principal, 'groups' | 'operator'>;

/** The principal of a credential whose user belongs to `groups`. */
export function withMemberships(
  credential: Credential,
  groups: readonly string[],
  operatorGroup: string,
): Principal {
  return { ...credential, groups: [...groups], operator: groups.includes(operatorGroup) };
}

export function isScope(value: unknown): value is Scope {
  return (scopes as readonly unknown[]).includes(value);
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes(scope);
}

/**
 * Operator powers need both the user's operator flag and a credential scoped for them, so that an
 * operator can hand a script a token that cannot act as an operator.
 */
export function isOperator(principal: Principal): boolean {
  return principal.operator && hasScope(principal, 'operator') && principal.siteIds === undefined;
}

/** Whether the credential may reach this site at all (its site limit, if any, names it). */
export function reachesSite(principal: Principal, siteId: string): boolean {
  return principal.siteIds === undefined || principal.siteIds.includes(siteId);
}

/** Interactive credentials (not API tokens) may manage what outlives them, such as tokens. */
export function isInteractive(principal: Principal): boolean {
  return principal.via !== 'api-token';
}
