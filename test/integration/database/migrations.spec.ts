import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../../libs/db/orm';
import { Operation, Site, siteStatuses, operationKinds } from '../../../libs/domain';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../../helpers/databases';

/** The committed migrations give both databases the schema the entities describe. */
describe.each(databaseKinds)('migrations on %s', (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;
  beforeAll(async () => {
    if (!skip) db = await startDatabase(kind);
  });
  afterAll(async () => {
    await db?.stop();
  });

  // SQLite's schema differ reports a different column order as a table rebuild, so only
  // PostgreSQL's answer is meaningful; SQLite is covered by the checks below and every e2e test.
  it.skipIf(skip || kind === 'sqlite')(
    'leave nothing for the schema generator to change',
    async () => {
      const diff = await db.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
    },
  );

  it.skipIf(skip)('accept every site status and operation kind the domain has', async () => {
    const em = forkEm(db.orm);
    for (const status of siteStatuses) {
      const site = new Site({
        id: `site-${status}`,
        name: `site ${status}`,
        description: '',
        owner: 'alice',
        contactEmail: 'alice@example.org',
      });
      site.status = status;
      em.persist(site);
    }
    for (const kind of operationKinds) {
      em.persist(new Operation({ id: `op-${kind}`, siteId: 'site-ready', kind, workflowId: 'w' }));
    }
    await em.flush();
    expect(await forkEm(db.orm).count(Site)).toBe(siteStatuses.length);
    expect(await forkEm(db.orm).count(Operation)).toBe(operationKinds.length);
  });

  it.skipIf(skip)('carry rows written before them through every later migration', async () => {
    const scratch = await startDatabase(kind, { migrate: false });
    try {
      const migrator = scratch.orm.getMigrator();
      const [first] = await migrator.getPendingMigrations();
      await migrator.up({ to: first!.name });
      const connection = forkEm(scratch.orm).getConnection();
      await connection.execute(
        `insert into site (id, name, description, owner, contact_email, status, created_at, updated_at)
         values ('old-site', 'Old', '', 'alice', 'a@example.org', 'ready', '2026-01-01', '2026-01-01')`,
      );
      await connection.execute(
        `insert into operation (id, site_id, kind, workflow_id, status, progress, step, created_at, updated_at)
         values ('old-op', 'old-site', 'provision', 'site/old-site', 'succeeded', 100, 'done', '2026-01-01', '2026-01-01')`,
      );
      await migrator.up();
      const site = await forkEm(scratch.orm).findOneOrFail(Site, 'old-site');
      expect(site).toMatchObject({ name: 'Old', status: 'ready', renews: true });
      const operation = await forkEm(scratch.orm).findOneOrFail(Operation, 'old-op');
      expect(operation).toMatchObject({ kind: 'provision', requestedBy: 'system', progress: 100 });
    } finally {
      await scratch.stop();
    }
  });

  it.skipIf(skip)('keep the audit log append-only', async () => {
    const connection = forkEm(db.orm).getConnection();
    await connection.execute(
      `insert into site_event (site_id, at, actor, action, summary) values ('s', '2026-01-01', 'a', 'b', 'c')`,
    );
    await expect(connection.execute(`update site_event set actor = 'x'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(connection.execute(`delete from site_event`)).rejects.toThrow(/append-only/);
  });
});
