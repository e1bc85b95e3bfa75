import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteConfiguration } from '../../../activities/ansible/site-data';
import { DirectoryError } from '../../../activities/directory/errors';
import { FileDirectory } from '../../../activities/directory/file/file-directory';
import { forkEm } from '../../../libs/db/orm';
import { Site, SiteRole } from '../../../libs/domain';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../../helpers/databases';

const directoryFile = join(__dirname, '../../fixtures/directory/directory.yml');
const secretKey = randomBytes(32);

/**
 * What a configuration run is told about a site's people: roles granted to users, and roles
 * granted to directory groups expanded into their members (with a unix group each), read from a
 * real directory (the file adapter, on the contract suite's data).
 */
describe.each(databaseKinds)("a site's people in its configuration data on %s", (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;
  let siteId: string;
  const target = () => ({
    vmId: randomUUID(),
    siteId,
    hostname: 'web-9.sites.berth.test',
    ipv4: '192.0.2.9',
    ipv6: '2001:db8:b0::9',
  });

  beforeAll(async () => {
    if (skip) return;
    db = await startDatabase(kind);
    siteId = randomUUID();
    const em = forkEm(db.orm);
    em.persist(
      new Site({
        id: siteId,
        name: `people-${siteId.slice(0, 8)}`,
        description: '',
        owner: 'dave',
        contactEmail: 'dave@example.org',
      }),
    );
    const grant = (subjectType: 'user' | 'group', subject: string, role: 'admin' | 'ssh-user') =>
      new SiteRole({ id: randomUUID(), siteId, subjectType, subject, role, grantedBy: 'dave' });
    em.persist([
      grant('user', 'dave', 'admin'),
      grant('group', 'webmasters', 'admin'),
      grant('group', 'editors', 'ssh-user'),
    ]);
    await em.flush();
  });
  afterAll(async () => {
    await db?.stop();
  });

  it.skipIf(skip)('expands group roles into their members, each group a unix group', async () => {
    const { vars } = await siteConfiguration(
      db.orm,
      secretKey,
      target(),
      new FileDirectory(directoryFile),
    );

    expect(vars.berth.users).toEqual([
      { uid: 'alice', name: 'Alice Archer', admin: true, ssh_keys: [] },
      { uid: 'bob', name: 'Bob Baker', admin: true, ssh_keys: [] },
      { uid: 'carol', name: 'Carol Cooper', admin: false, ssh_keys: [] },
      { uid: 'dave', name: 'Dave Dunn', admin: true, ssh_keys: [] },
    ]);
    expect(vars.berth.unix_groups).toEqual([
      { name: 'editors', members: ['alice', 'carol'] },
      { name: 'webmasters', members: ['alice', 'bob'] },
    ]);
  });

  it.skipIf(skip)('keeps only users with roles of their own without a directory', async () => {
    const { vars } = await siteConfiguration(db.orm, secretKey, target());
    expect(vars.berth.users.map((user) => user.uid)).toEqual(['dave']);
    expect(vars.berth.unix_groups).toEqual([]);
  });

  it.skipIf(skip)('fails rather than configure a server with part of its people', async () => {
    const down = {
      findUser: () => Promise.resolve(undefined),
      membersOf: () => Promise.reject(new DirectoryError('DirectoryUnavailable', 'directory down')),
    };
    await expect(siteConfiguration(db.orm, secretKey, target(), down)).rejects.toThrow(
      'directory down',
    );
  });
});
