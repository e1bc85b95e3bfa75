import { readFileSync, type BigIntStats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { directoryNamePattern } from '../../../libs/auth/principal';
import { DirectoryError } from '../errors';
import { checkSearchLimit, isDirectoryName, isSearchText, sortedNames } from '../names';
import { type Directory, type DirectoryGroup, type DirectoryUser } from '../port';

const name = z
  .string()
  .regex(directoryNamePattern, 'must be a directory name (lower case a-z, 0-9, ".", "_", "-")');

const fileSchema = z
  .object({
    users: z
      .array(
        z
          .object({
            uid: name,
            name: z.string().trim().min(1).max(200),
            mail: z.email().optional(),
          })
          .strict(),
      )
      .default([]),
    groups: z.array(z.object({ name, members: z.array(name).default([]) }).strict()).default([]),
  })
  .strict();

type DirectoryFile = z.infer<typeof fileSchema>;

/** What one version of the file says, indexed for the port's questions. */
interface Snapshot {
  /** Identifies the file version it was read from: inode, size and modification time. */
  version: string;
  users: Map<string, DirectoryUser>;
  members: Map<string, string[]>;
}

/**
 * The Directory port on a YAML file, for the embedded profile and for sites without LDAP:
 *
 * ```yaml
 * users: [{ uid: alice, name: Alice Archer, mail: alice@example.org }]
 * groups: [{ name: webmasters, members: [alice] }]
 * ```
 *
 * The file is read and validated when the adapter is made, so a broken file stops start-up with
 * a message naming the entry. Each call then checks whether the file changed (inode, size,
 * modification time) and reads it again if so: edits take effect on the next call, without a
 * restart. A file that became invalid fails every call with DirectoryMisconfigured until it is
 * fixed: the directory decides who may do what, so stale answers are not served in its place.
 */
export class FileDirectory implements Directory {
  readonly name = 'file';
  private snapshot: Snapshot;

  constructor(private readonly file: string) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw unreadable(file, error);
    }
    // The first snapshot's version is unknown, so the first call reads the file once more.
    this.snapshot = parseDirectoryFile(file, text, '');
  }

  async findUser(uid: string): Promise<DirectoryUser | undefined> {
    if (!isDirectoryName(uid)) return undefined;
    const user = (await this.current()).users.get(uid);
    return user && { ...user };
  }

  async searchUsers(text: string, limit: number): Promise<DirectoryUser[]> {
    checkSearchLimit(limit);
    if (!isSearchText(text)) return [];
    const prefix = text.toLowerCase();
    return [...(await this.current()).users.values()]
      .filter((user) =>
        [user.uid, user.name, user.mail].some((value) => value?.toLowerCase().startsWith(prefix)),
      )
      .sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0))
      .slice(0, limit)
      .map((user) => ({ ...user }));
  }

  async groupsOf(uid: string): Promise<string[]> {
    if (!isDirectoryName(uid)) return [];
    const { members } = await this.current();
    return sortedNames(
      [...members].filter(([, uids]) => uids.includes(uid)).map(([group]) => group),
    );
  }

  async membersOf(group: string): Promise<string[]> {
    return (await this.findGroup(group))?.members ?? [];
  }

  async findGroup(group: string): Promise<DirectoryGroup | undefined> {
    if (!isDirectoryName(group)) return undefined;
    const members = (await this.current()).members.get(group);
    return members === undefined ? undefined : { name: group, members: [...members] };
  }

  async close(): Promise<void> {}

  /** The snapshot of the file as it is now, read again when it changed. */
  private async current(): Promise<Snapshot> {
    let stats: BigIntStats;
    try {
      stats = await stat(this.file, { bigint: true });
    } catch (error) {
      throw unreadable(this.file, error);
    }
    const version = `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
    if (version === this.snapshot.version) return this.snapshot;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      throw unreadable(this.file, error);
    }
    this.snapshot = parseDirectoryFile(this.file, text, version);
    return this.snapshot;
  }
}

/**
 * Parses and validates a directory file, or throws DirectoryMisconfigured naming the file and
 * every problem: the YAML syntax error with its line, or each invalid entry by its path
 * (`users[2].uid`) and, where it has one, its uid or name.
 */
function parseDirectoryFile(file: string, text: string, version: string): Snapshot {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw misconfigured(
      file,
      // The first line says what and where; the rest is a drawing of the spot.
      document.errors.map((error) => (error.message.split('\n')[0] ?? '').replace(/:$/, '')),
    );
  }
  const raw: unknown = document.toJS() ?? {};
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw misconfigured(
      file,
      parsed.error.issues.map((issue) => `${describePath(raw, issue.path)}: ${issue.message}`),
    );
  }
  const problems = consistencyProblems(parsed.data);
  if (problems.length > 0) throw misconfigured(file, problems);
  return {
    version,
    users: new Map(
      parsed.data.users.map((user) => [
        user.uid,
        { uid: user.uid, name: user.name, ...(user.mail ? { mail: user.mail } : {}) },
      ]),
    ),
    members: new Map(parsed.data.groups.map((group) => [group.name, sortedNames(group.members)])),
  };
}

/** Duplicates and members who are not users: each would make an answer depend on file order. */
function consistencyProblems(data: DirectoryFile): string[] {
  const problems: string[] = [];
  const uids = new Set<string>();
  data.users.forEach((user, index) => {
    if (uids.has(user.uid)) {
      problems.push(`users[${index}] (${JSON.stringify(user.uid)}): uid is listed twice`);
    }
    uids.add(user.uid);
  });
  const groups = new Set<string>();
  data.groups.forEach((group, index) => {
    const where = `groups[${index}] (${JSON.stringify(group.name)})`;
    if (groups.has(group.name)) problems.push(`${where}: group is listed twice`);
    groups.add(group.name);
    for (const member of group.members) {
      if (!uids.has(member)) problems.push(`${where}: member "${member}" is not a user`);
    }
  });
  return problems;
}

/** `users[2] (alice).mail` for a zod issue path, naming the entry when it has a uid or name. */
function describePath(raw: unknown, path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the file';
  let text = '';
  let node: unknown = raw;
  path.forEach((key, index) => {
    node =
      node !== null && typeof node === 'object'
        ? (node as Record<PropertyKey, unknown>)[key]
        : undefined;
    text += typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`;
    if (index === 1 && node !== null && typeof node === 'object') {
      const entry = node as { uid?: unknown; name?: unknown };
      const label = path[0] === 'users' ? entry.uid : entry.name;
      if (typeof label === 'string' && label.length > 0 && label.length <= 64) {
        text += ` (${JSON.stringify(label)})`;
      }
    }
  });
  return text;
}

function misconfigured(file: string, problems: string[]): DirectoryError {
  return new DirectoryError(
    'DirectoryMisconfigured',
    `the directory file ${file} is invalid: ${problems.join('; ')}`,
  );
}

function unreadable(file: string, error: unknown): DirectoryError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return new DirectoryError(
    'DirectoryMisconfigured',
    `the directory file ${file} cannot be read (${code ?? String(error)})`,
    { cause: error },
  );
}
