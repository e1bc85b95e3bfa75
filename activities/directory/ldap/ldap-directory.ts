import {
  AdminLimitExceededError,
  AndFilter,
  BusyError,
  Client,
  ConfidentialityRequiredError,
  type Entry,
  EqualityFilter,
  type Filter,
  FilterParser,
  InappropriateAuthError,
  InsufficientAccessError,
  InvalidCredentialsError,
  InvalidDNSyntaxError,
  NoSuchObjectError,
  OrFilter,
  ResultCodeError,
  StrongAuthRequiredError,
  SubstringFilter,
  TimeLimitExceededError,
  UnavailableError,
  UnwillingToPerformError,
} from 'ldapts';
import { DirectoryError } from '../errors';
import { checkSearchLimit, isDirectoryName, isSearchText, sortedNames } from '../names';
import { type Directory, type DirectoryGroup, type DirectoryUser } from '../port';

export interface LdapDirectoryOptions {
  /** `ldap://host:port` or `ldaps://host:port`. */
  url: string;
  /** The DN the adapter binds as; it needs read access to the user and group entries. */
  bindDn: string;
  /** A secret: sent in the bind request only, never logged or put in an error. */
  bindPassword: string;
  /** Where users are searched (whole subtree), `ou=people,dc=example,dc=org`. */
  userBase: string;
  /** Where groups are searched (whole subtree), `ou=groups,dc=example,dc=org`. */
  groupBase: string;
  /** Which entries under userBase are users; trusted configuration text, parsed once. */
  userFilter?: string;
  /** Which entries under groupBase are groups; trusted configuration text, parsed once. */
  groupFilter?: string;
  /** The group attribute whose values are member uids (RFC 2307 `memberUid`). */
  memberAttribute?: string;
  /** How long connecting and each operation may take before they count as failed. */
  timeoutMs: number;
  /** PEM certificates to trust for `ldaps://` instead of the system's CAs. */
  caPem?: string;
}

const defaultUserFilter = '(objectClass=inetOrgPerson)';
const defaultGroupFilter = '(objectClass=posixGroup)';
const defaultMemberAttribute = 'memberUid';
/** An attribute description (RFC 4512 `descr`), so a setting can never smuggle in options. */
const attributeName = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
const userAttributes = ['uid', 'cn', 'mail'];
const groupNameAttribute = 'cn';

/**
 * The Directory port on an LDAP server (tested against OpenLDAP slapd 2.5): users are entries
 * under userBase with `uid`, `cn` and `mail`, groups are entries under groupBase named by `cn`
 * whose memberAttribute lists member uids.
 *
 * Values a caller passes travel only inside ldapts filter objects (EqualityFilter,
 * SubstringFilter), which put them on the wire as BER octet strings: no filter text is ever built
 * from them, so no value can change a filter's structure. They are also checked against the
 * directory name pattern first (see port.ts).
 *
 * One bound connection is shared by all calls. When it has gone away, the next call binds a new
 * one; a call that fails because the connection broke under it is retried once on a new one.
 */
export class LdapDirectory implements Directory {
  readonly name = 'ldap';
  private readonly userFilter: Filter;
  private readonly groupFilter: Filter;
  private readonly memberAttribute: string;
  /** The bind under way or done; shared by every call. */
  private session: Promise<Client> | undefined;
  /** The bound client, once `session` has settled successfully. */
  private client: Client | undefined;
  private closed = false;

  constructor(private readonly options: LdapDirectoryOptions) {
    if (!/^ldaps?:\/\//i.test(options.url)) {
      throw new DirectoryError(
        'DirectoryMisconfigured',
        'the LDAP URL must start with ldap:// or ldaps://',
      );
    }
    if (options.caPem !== undefined && !/^ldaps:/i.test(options.url)) {
      // A CA for a clear-text connection would protect nothing; say so rather than ignore it.
      throw new DirectoryError(
        'DirectoryMisconfigured',
        'an LDAP CA certificate applies to ldaps:// URLs only',
      );
    }
    if (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 1) {
      throw new DirectoryError(
        'DirectoryMisconfigured',
        'the LDAP timeout must be a positive integer',
      );
    }
    this.userFilter = parseSetting('user filter', options.userFilter ?? defaultUserFilter);
    this.groupFilter = parseSetting('group filter', options.groupFilter ?? defaultGroupFilter);
    this.memberAttribute = options.memberAttribute ?? defaultMemberAttribute;
    if (!attributeName.test(this.memberAttribute)) {
      throw new DirectoryError(
        'DirectoryMisconfigured',
        `the LDAP member attribute must be an attribute name, got "${this.memberAttribute}"`,
      );
    }
  }

  async findUser(uid: string): Promise<DirectoryUser | undefined> {
    if (!isDirectoryName(uid)) return undefined;
    const entries = await this.search('find a user', this.options.userBase, {
      filter: new AndFilter({
        filters: [this.userFilter, new EqualityFilter({ attribute: 'uid', value: uid })],
      }),
      attributes: userAttributes,
      // Two are enough to notice a uid that is not unique.
      sizeLimit: 2,
    });
    // The server matches uids ignoring case; Berth's uids are exact.
    const users = entries.filter((entry) => values(entry, 'uid').includes(uid));
    if (users.length > 1) {
      throw new DirectoryError(
        'DirectoryMisconfigured',
        `more than one entry under the user base has uid "${uid}"`,
      );
    }
    return users[0] && toUser(users[0], uid);
  }

  async searchUsers(text: string, limit: number): Promise<DirectoryUser[]> {
    checkSearchLimit(limit);
    if (!isSearchText(text)) return [];
    const entries = await this.search('search users', this.options.userBase, {
      filter: new AndFilter({
        filters: [
          this.userFilter,
          new OrFilter({
            filters: userAttributes.map(
              (attribute) => new SubstringFilter({ attribute, initial: text }),
            ),
          }),
        ],
      }),
      attributes: userAttributes,
      sizeLimit: limit,
    });
    return entries
      .flatMap((entry) => {
        const uid = values(entry, 'uid').find(isDirectoryName);
        return uid === undefined ? [] : [toUser(entry, uid)];
      })
      .sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0))
      .slice(0, limit);
  }

  async groupsOf(uid: string): Promise<string[]> {
    if (!isDirectoryName(uid)) return [];
    const entries = await this.search('list the groups of a user', this.options.groupBase, {
      filter: new AndFilter({
        filters: [
          this.groupFilter,
          new EqualityFilter({ attribute: this.memberAttribute, value: uid }),
        ],
      }),
      attributes: [groupNameAttribute, this.memberAttribute],
    });
    return sortedNames(
      entries
        // memberUid matches exactly, but a configured attribute may ignore case.
        .filter((entry) => values(entry, this.memberAttribute).includes(uid))
        .flatMap((entry) => values(entry, groupNameAttribute).filter(isDirectoryName).slice(0, 1)),
    );
  }

  async membersOf(group: string): Promise<string[]> {
    return (await this.findGroup(group))?.members ?? [];
  }

  async findGroup(group: string): Promise<DirectoryGroup | undefined> {
    if (!isDirectoryName(group)) return undefined;
    const entries = await this.search('list the members of a group', this.options.groupBase, {
      filter: new AndFilter({
        filters: [
          this.groupFilter,
          new EqualityFilter({ attribute: groupNameAttribute, value: group }),
        ],
      }),
      attributes: [groupNameAttribute, this.memberAttribute],
    });
    const groups = entries.filter((entry) => values(entry, groupNameAttribute).includes(group));
    if (groups.length > 1) {
      throw new DirectoryError(
        'DirectoryMisconfigured',
        `more than one entry under the group base is named "${group}"`,
      );
    }
    const [entry] = groups;
    if (entry === undefined) return undefined;
    return {
      name: group,
      members: sortedNames(values(entry, this.memberAttribute).filter(isDirectoryName)),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    this.client = undefined;
    const client = await session?.catch(() => undefined);
    await client?.unbind().catch(() => undefined);
  }

  /**
   * One search on the shared bound connection, retried once on a new connection when the old one
   * broke under it; every failure leaves as a DirectoryError.
   */
  private async search(
    what: string,
    base: string,
    options: { filter: Filter; attributes: string[]; sizeLimit?: number },
  ): Promise<Entry[]> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connection();
      try {
        const { searchEntries } = await client.search(base, {
          scope: 'sub',
          derefAliases: 'never',
          filter: options.filter,
          attributes: options.attributes,
          sizeLimit: options.sizeLimit ?? 0,
          timeLimit: Math.ceil(this.options.timeoutMs / 1000),
        });
        return searchEntries;
      } catch (error) {
        // A result code is the server's answer on a working connection; anything else means the
        // connection failed (closed, reset, timed out), so it is not used again.
        if (error instanceof ResultCodeError) throw this.translate(error, what, base);
        this.discard(client);
        if (attempt > 1 || this.closed) throw this.translate(error, what, base);
      }
    }
  }

  /** The shared bound connection, binding a new one when there is none or it went away. */
  private async connection(): Promise<Client> {
    if (this.closed) {
      throw new DirectoryError('DirectoryInvalidRequest', 'the LDAP directory has been closed');
    }
    // ldapts reconnects a dropped socket on its own, but unbound: such a client is not reused.
    if (this.client && !(this.client.isConnected && this.client.isBound)) {
      this.discard(this.client);
    }
    // Callers that arrive while a bind is under way share it, and its failure.
    this.session ??= this.bind();
    return this.session;
  }

  private async bind(): Promise<Client> {
    const { url, timeoutMs, caPem } = this.options;
    const client = new Client({
      url,
      timeout: timeoutMs,
      connectTimeout: timeoutMs,
      ...(caPem === undefined ? {} : { tlsOptions: { ca: [caPem] } }),
    });
    try {
      await client.bind(this.options.bindDn, this.options.bindPassword);
    } catch (error) {
      // The next call tries a new bind; the password may have been fixed, the server be back.
      this.session = undefined;
      await client.unbind().catch(() => undefined);
      throw this.translate(error, 'bind', undefined);
    }
    this.client = client;
    return client;
  }

  /** Stops using a client; a newer session that replaced it already is left alone. */
  private discard(client: Client): void {
    if (this.client === client) {
      this.client = undefined;
      this.session = undefined;
    }
    void client.unbind().catch(() => undefined);
  }

  /**
   * An ldapts failure as a DirectoryError. Messages are Berth's own words plus the server's
   * result name and diagnostic text; the bind password is never part of them, and is cut out of
   * the server's text should a server ever echo it.
   */
  private translate(error: unknown, what: string, base: string | undefined): DirectoryError {
    if (error instanceof DirectoryError) return error;
    const detail = this.redact(error instanceof Error ? error.message : String(error));
    const reason = error instanceof Error ? `${error.name}: ${detail}` : detail;
    const message = `LDAP ${what} failed at ${this.options.url} (${reason})`;
    if (
      error instanceof InvalidCredentialsError ||
      error instanceof InsufficientAccessError ||
      error instanceof InappropriateAuthError ||
      error instanceof ConfidentialityRequiredError ||
      error instanceof StrongAuthRequiredError ||
      // slapd's answer to a bind with a DN and an empty password.
      (what === 'bind' && error instanceof UnwillingToPerformError)
    ) {
      const who = what === 'bind' ? `as "${this.options.bindDn}" ` : '';
      return new DirectoryError(
        'DirectoryDenied',
        `LDAP ${what} ${who}was refused at ${this.options.url} (${reason})`,
        { cause: error },
      );
    }
    if (error instanceof NoSuchObjectError || error instanceof InvalidDNSyntaxError) {
      return new DirectoryError(
        'DirectoryMisconfigured',
        `LDAP ${what} failed: the base "${base ?? this.options.bindDn}" is not a DN the server holds (${reason})`,
        { cause: error },
      );
    }
    if (
      error instanceof BusyError ||
      error instanceof UnavailableError ||
      error instanceof TimeLimitExceededError ||
      error instanceof AdminLimitExceededError ||
      !(error instanceof ResultCodeError)
    ) {
      // Not a result code: the socket failed, timed out or closed. Either way, later may work.
      return new DirectoryError('DirectoryUnavailable', message, { cause: error });
    }
    return new DirectoryError('DirectoryInvalidRequest', message, { cause: error });
  }

  private redact(text: string): string {
    const secret = this.options.bindPassword;
    return secret.length > 0 ? text.split(secret).join('[redacted]') : text;
  }
}

/** A filter setting as an ldapts Filter; configuration text, never a caller's value. */
function parseSetting(setting: string, text: string): Filter {
  try {
    return FilterParser.parseString(text);
  } catch (error) {
    throw new DirectoryError(
      'DirectoryMisconfigured',
      `the LDAP ${setting} "${text}" is not an LDAP filter (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/** An attribute's values as text (attribute names match ignoring case, as LDAP's do). */
function values(entry: Entry, attribute: string): string[] {
  const key = Object.keys(entry).find((name) => name.toLowerCase() === attribute.toLowerCase());
  const value = key === undefined || key === 'dn' ? undefined : entry[key];
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : item));
}

function toUser(entry: Entry, uid: string): DirectoryUser {
  const mail = values(entry, 'mail')[0];
  return { uid, name: values(entry, 'cn')[0] ?? uid, ...(mail === undefined ? {} : { mail }) };
}
