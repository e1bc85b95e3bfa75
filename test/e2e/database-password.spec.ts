import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { siteConfiguration } from '../../activities/ansible/site-data';
import { derivedDatabasePassword } from '../../activities/keys/server-secrets';
import { forkEm } from '../../libs/db/orm';
import { Operation, ServerSecret, SiteEvent, Vm } from '../../libs/domain';
import { siteWorkflowId } from '../../libs/temporal/names';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { operationFinished, provisionedSite } from '../helpers/sites';
import { findInHistory } from '../helpers/history-text';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

const resetMutation = `mutation Reset($input: SiteChangeInput!) {
  result: resetDatabasePassword(input: $input) {
    __typename
    ... on DatabasePasswordPayload { password operation { id kind } }
    ... on UserError { code }
  }
}`;

interface ResetResult {
  __typename: string;
  password?: string | null;
  operation?: { id: string; kind: string };
  code?: string;
}

/**
 * Resetting a site's database root password (issue #8 item 4): shown once, sealed at rest, set by
 * a configuration run that reads it from the database, and never in workflow history.
 */
describe.each(databaseKinds)('database password reset on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`db-password-${kind}`) });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  const readySite = () => provisionedSite(berth, 'Database');

  const done = (operationId: string) => operationFinished(berth, operationId);

  async function reset(input: Record<string, unknown>, as = { userId: 'alice' }) {
    const response = await berth.graphql<{ result: ResetResult }>(resetMutation, { input }, as);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  /** The password the site's next configuration run gives the server. */
  async function configured(siteId: string): Promise<string> {
    const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
    const { secrets } = await siteConfiguration(db.orm, berth.config.secretKey, {
      vmId: vm.id,
      siteId,
      hostname: 'h.example.org',
      ipv4: '192.0.2.1',
      ipv6: '2001:db8::1',
    });
    return secrets.berth_secrets.mysql_root_password;
  }

  it.skipIf(skip)(
    'shows a new password once, keeps it sealed, and sets it by a configuration run',
    async () => {
      const siteId = await readySite();
      const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
      expect(await configured(siteId)).toBe(derivedDatabasePassword(berth.config.secretKey, vm.id));

      const idempotencyKey = uniqueName('reset');
      const result = await reset({ siteId, idempotencyKey });
      expect(result.__typename).toBe('DatabasePasswordPayload');
      const password = result.password!;
      expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await done(result.operation!.id))?.status).toBe('SUCCEEDED');
      expect(result.operation!.kind).toBe('CONFIGURE');
      expect(await configured(siteId)).toBe(password);

      // At rest only sealed; in the workflow's history not at all.
      const stored = await forkEm(db.orm).findOneOrFail(ServerSecret, { vmId: vm.id });
      expect(stored.sealed).not.toContain(password);
      expect(stored.updatedBy).toBe('alice');
      const history = await berth.temporal.workflow
        .getHandle(siteWorkflowId(siteId))
        .fetchHistory();
      expect(findInHistory(history, password)).toEqual([]);

      // The same request again: the same operation, and the password is not shown again.
      const repeated = await reset({ siteId, idempotencyKey });
      expect(repeated).toMatchObject({ password: null, operation: { id: result.operation!.id } });
      expect(await configured(siteId)).toBe(password);

      // A second reset gives another password.
      const second = await reset({ siteId });
      expect(second.password).not.toBe(password);
      await done(second.operation!.id);
      expect(await configured(siteId)).toBe(second.password);
      expect(
        await forkEm(db.orm).count(SiteEvent, { siteId, action: 'database.password-reset' }),
      ).toBe(2);
    },
    120_000,
  );

  it.skipIf(skip)('refused, it leaves the password as it was', async () => {
    const siteId = await readySite();
    const disabled = await berth.graphql<{ result: { operation: { id: string } } }>(
      'mutation ($input: SiteChangeInput!) { result: disableSite(input: $input) { ... on SiteOperationPayload { operation { id } } } }',
      { input: { siteId } },
    );
    await done(disabled.data!.result.operation.id);
    const before = await configured(siteId);
    const operations = await forkEm(db.orm).count(Operation, { siteId });

    expect(await reset({ siteId })).toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    expect(await configured(siteId)).toBe(before);
    expect(await forkEm(db.orm).count(Operation, { siteId })).toBe(operations);
    const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
    expect(await forkEm(db.orm).count(ServerSecret, { vmId: vm.id })).toBe(0);
  });

  it.skipIf(skip)(
    'keeps the password the server has through two resets at once, refused or not',
    async () => {
      const siteId = await readySite();
      const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
      const first = await reset({ siteId });
      await done(first.operation!.id);
      expect(await configured(siteId)).toBe(first.password);

      // Both accepted: the server ends with one of them, and nothing waits.
      const both = await Promise.all([reset({ siteId }), reset({ siteId })]);
      for (const result of both)
        expect((await done(result.operation!.id))?.status).toBe('SUCCEEDED');
      const now = await configured(siteId);
      expect(both.map((result) => result.password)).toContain(now);
      expect(await forkEm(db.orm).findOneOrFail(ServerSecret, { vmId: vm.id })).toMatchObject({
        pending: null,
      });

      // Both refused (the site is disabled): neither takes back the other's, nothing waits.
      const disabled = await berth.graphql<{ result: { operation: { id: string } } }>(
        'mutation ($input: SiteChangeInput!) { result: disableSite(input: $input) { ... on SiteOperationPayload { operation { id } } } }',
        { input: { siteId } },
      );
      await done(disabled.data!.result.operation.id);
      const refused = await Promise.all([reset({ siteId }), reset({ siteId })]);
      expect(refused.map((result) => result.code)).toEqual([
        'ILLEGAL_TRANSITION',
        'ILLEGAL_TRANSITION',
      ]);
      expect(await configured(siteId)).toBe(now);
      expect(await forkEm(db.orm).findOneOrFail(ServerSecret, { vmId: vm.id })).toMatchObject({
        pending: null,
      });
    },
    120_000,
  );

  it.skipIf(skip)("hides another user's site and changes nothing", async () => {
    const siteId = await readySite();
    expect(await reset({ siteId }, { userId: 'bob' })).toMatchObject({ code: 'SITE_NOT_FOUND' });
    const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
    expect(await forkEm(db.orm).count(ServerSecret, { vmId: vm.id })).toBe(0);
  });
});
