import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../../libs/db/orm';
import { DomainName } from '../../../libs/domain';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../../helpers/databases';

/**
 * Migration20261205000300_domain_names gives every name of the virtual hosts that existed before
 * it an approved row: those names were served, and stay served.
 */
describe.each(databaseKinds)('the domain names migration on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;

  beforeAll(async () => {
    if (skip) return;
    db = await startDatabase(kind, { migrate: false });
    const migrator = db.orm.getMigrator();
    const executed = await migrator.getPendingMigrations();
    const before = executed.findIndex((m) => m.name === 'Migration20261205000300_domain_names');
    expect(before).toBeGreaterThan(0);
    await migrator.up({ to: executed[before - 1]!.name });
    const connection = forkEm(db.orm).getConnection();
    const vhost = (
      id: string,
      site: string,
      name: string,
      server: string,
      aliases: string[],
      at: string,
    ) =>
      connection.execute(
        `insert into vhost (id, site_id, name, server_name, aliases, created_by, created_at)
         values (?, ?, ?, ?, ?, 'alice', ?)`,
        [id, site, name, server, JSON.stringify(aliases), kind === 'sqlite' ? Date.parse(at) : at],
      );
    await vhost(
      'v-old',
      's-1',
      'shop',
      'shop.example.org',
      ['www.shop.example.org', 'shop.example.org'],
      '2026-01-01T00:00:00Z',
    );
    await vhost('v-blog', 's-1', 'blog', 'blog.example.org', [], '2026-01-02T00:00:00Z');
    // Another site's vhost, added later, with one name the first site held already.
    await vhost(
      'v-new',
      's-2',
      'copy',
      'copy.example.org',
      ['www.shop.example.org'],
      '2026-02-01T00:00:00Z',
    );
    await migrator.up();
  });
  afterAll(async () => {
    await db?.stop();
  });

  it.skipIf(skip)(
    'approves each existing name once, the oldest vhost keeping a shared one',
    async () => {
      const rows = await forkEm(db.orm).find(DomainName, {}, { orderBy: { name: 'asc' } });
      expect(
        rows.map((row) => [
          row.name,
          row.vhostId,
          row.siteId,
          row.status,
          row.requestedBy,
          row.decidedBy,
        ]),
      ).toEqual([
        ['blog.example.org', 'v-blog', 's-1', 'approved', 'alice', 'system'],
        ['copy.example.org', 'v-new', 's-2', 'approved', 'alice', 'system'],
        ['shop.example.org', 'v-old', 's-1', 'approved', 'alice', 'system'],
        ['www.shop.example.org', 'v-old', 's-1', 'approved', 'alice', 'system'],
      ]);
      for (const row of rows) {
        expect(row.id).toMatch(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        expect(row.decidedAt?.getTime()).toBe(row.requestedAt.getTime());
      }
      expect(rows.find((row) => row.vhostId === 'v-old')?.requestedAt.toISOString()).toBe(
        '2026-01-01T00:00:00.000Z',
      );
    },
  );
});
