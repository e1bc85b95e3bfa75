/**
 * The Directory port: who the organisation's people are and which groups they belong to, read
 * from the directory that Berth's authorisation trusts (site roles granted to users or groups,
 * operators as a group). Every call is a read and may be retried freely.
 *
 * Uids and group names are directory names (`directoryNamePattern` in libs/auth/principal.ts). A
 * call naming anything else is answered before any query as the directory would answer for a name
 * it does not hold: `findUser` gives undefined, the others an empty list. Such a name can never
 * belong to a principal, so "nobody" is the truthful answer, and no caller needs a branch for it.
 * Entries whose own uid or name is not a directory name are left out of every answer for the same
 * reason: two spellings must never reach one user's sites.
 *
 * Failures are DirectoryErrors (./errors), which say whether a retry can help.
 */
export interface Directory {
  /** Adapter name as configured (`ldap`, `file`), shown in logs and systemInfo. */
  readonly name: string;
  /** The user with exactly this uid, or undefined. */
  findUser(uid: string): Promise<DirectoryUser | undefined>;
  /**
   * Up to `limit` users whose uid, name or mail starts with `text`, ignoring case, sorted by uid.
   * `text` is matched literally (`*` is a star). Empty text, text longer than
   * maxSearchTextLength or with control characters finds nobody; a limit that is not an integer
   * from 1 to maxSearchLimit is a DirectoryInvalidRequest. When more users match than the limit,
   * which of them come back is the directory's choice.
   */
  searchUsers(text: string, limit: number): Promise<DirectoryUser[]>;
  /** Names of the groups that list this uid as a member, sorted, without duplicates. */
  groupsOf(uid: string): Promise<string[]>;
  /** Uids of the group's members, sorted, without duplicates; empty when there is no such group. */
  membersOf(group: string): Promise<string[]>;
  /** The group with exactly this name, members as membersOf gives them (maybe none), or undefined. */
  findGroup(group: string): Promise<DirectoryGroup | undefined>;
  /** Releases connections; safe to call twice. */
  close(): Promise<void>;
}

export interface DirectoryUser {
  /** Directory uid, the user id everywhere in Berth. */
  uid: string;
  /** Display name (LDAP `cn`). */
  name: string;
  /** E-mail address; absent when the directory holds none. */
  mail?: string;
}

export interface DirectoryGroup {
  name: string;
  /** Uids, sorted, without duplicates. */
  members: string[];
}

export const maxSearchLimit = 100;
export const maxSearchTextLength = 100;
