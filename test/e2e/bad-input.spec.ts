import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackToken } from '../../libs/callback-token';
import { forkEm } from '../../libs/db/orm';
import { NetworkConfig, Operation, Site, SiteEvent, SiteRole, Vm } from '../../libs/domain';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { type RequestSiteData, requestSiteMutation } from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

const valid = { name: 'A site', contactEmail: 'owner@example.org' };

/** Each input must be refused at the edge with the given code and change nothing. */
const badInputs: [string, Record<string, unknown>, string][] = [
  ['an empty name', { ...valid, name: '' }, 'BAD_USER_INPUT'],
  ['a blank name', { ...valid, name: '   ' }, 'BAD_USER_INPUT'],
  ['an overlong name', { ...valid, name: 'x'.repeat(101) }, 'BAD_USER_INPUT'],
  ['a name with control characters', { ...valid, name: 'bad\u0007name' }, 'BAD_USER_INPUT'],
  ['a name with a line separator', { ...valid, name: 'bad\u2028name' }, 'BAD_USER_INPUT'],
  ['an overlong description', { ...valid, description: 'd'.repeat(251) }, 'BAD_USER_INPUT'],
  ['a malformed e-mail address', { ...valid, contactEmail: 'not-an-address' }, 'BAD_USER_INPUT'],
  ['a host name with a dot', { ...valid, hostname: 'www.example' }, 'BAD_USER_INPUT'],
  ['a wildcard host name', { ...valid, hostname: '*' }, 'BAD_USER_INPUT'],
  ['an upper-case host name', { ...valid, hostname: 'MySite' }, 'BAD_USER_INPUT'],
  ['a host name with a leading hyphen', { ...valid, hostname: '-site' }, 'BAD_USER_INPUT'],
  ['a host name with a trailing hyphen', { ...valid, hostname: 'site-' }, 'BAD_USER_INPUT'],
  ['an overlong host name label', { ...valid, hostname: 'a'.repeat(64) }, 'BAD_USER_INPUT'],
  ['a non-ASCII host name', { ...valid, hostname: 'sïte' }, 'BAD_USER_INPUT'],
  ['a host name kept for allocation', { ...valid, hostname: 'web-12' }, 'BAD_USER_INPUT'],
  ['a short idempotency key', { ...valid, idempotencyKey: 'k' }, 'BAD_USER_INPUT'],
  ['an unknown field', { ...valid, owner: 'someone-else' }, 'BAD_USER_INPUT'],
  ['a missing required field', { name: 'A site' }, 'BAD_USER_INPUT'],
  ['a wrongly typed field', { ...valid, name: 42 }, 'BAD_USER_INPUT'],
];

describe.each(databaseKinds)('bad input on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  let taskQueue: string;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db] = await Promise.all([startTemporal(), startDatabase(kind)]);
    taskQueue = uniqueName(`bad-input-${kind}`);
    // No worker: nothing may be started, and a started workflow would stay visible as running.
    berth = await startBerth({ db, temporal, taskQueue, worker: false });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function nothingWritten() {
    const em = forkEm(db.orm);
    expect(await em.count(Site)).toBe(0);
    expect(await em.count(Operation)).toBe(0);
    expect(await em.count(SiteEvent)).toBe(0);
    expect(await em.count(NetworkConfig)).toBe(0);
    expect(await em.count(Vm)).toBe(0);
    expect(await em.count(SiteRole)).toBe(0);
    const started = await berth.temporal.workflow.count(`TaskQueue="${taskQueue}"`);
    expect(started.count).toBe(0);
  }

  it.skipIf(skip).each(badInputs)('refuses %s with %s', async (_what, input, code) => {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, { input });
    expect(response.data?.requestSite ?? null).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe(code);
    expect(JSON.stringify(response.errors)).not.toMatch(/stack|at .*\.ts:|SELECT|INSERT/i);
    await nothingWritten();
  });

  it.skipIf(skip)('names every field at fault in one error', async () => {
    const response = await berth.graphql(requestSiteMutation, {
      input: { name: '', contactEmail: 'nope', hostname: 'A.B' },
    });
    const fields = (response.errors?.[0]?.extensions?.fields ?? []) as { field: string }[];
    expect(new Set(fields.map((f) => f.field))).toEqual(
      new Set(['name', 'contactEmail', 'hostname']),
    );
    await nothingWritten();
  });

  it.skipIf(skip)('refuses an unknown cursor', async () => {
    const response = await berth.graphql('{ sites(after: "bm90IGEgY3Vyc29y") { totalCount } }');
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  describe('install callbacks', () => {
    async function callBack(vmId: string, authorization?: string) {
      return fetch(`${berth.apiUrl}/callbacks/vm/${vmId}`, {
        method: 'POST',
        headers: authorization ? { authorization } : {},
      });
    }

    it.skipIf(skip)('refuses a callback without a token (401)', async () => {
      const response = await callBack(randomUUID());
      expect(response.status).toBe(401);
      await nothingWritten();
    });

    it.skipIf(skip)('refuses a callback with a wrong token (403)', async () => {
      const response = await callBack(randomUUID(), `Bearer ${'x'.repeat(43)}`);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ statusCode: 403 });
      await nothingWritten();
    });

    it.skipIf(skip)("refuses another server's token (403)", async () => {
      const token = callbackToken(berth.config.secretKey, randomUUID());
      const response = await callBack(randomUUID(), `Bearer ${token}`);
      expect(response.status).toBe(403);
      await nothingWritten();
    });

    it.skipIf(skip)('refuses a callback for an unknown server (404)', async () => {
      const vmId = randomUUID();
      const token = callbackToken(berth.config.secretKey, vmId);
      const response = await callBack(vmId, `Bearer ${token}`);
      expect(response.status).toBe(404);
      await nothingWritten();
    });

    it.skipIf(skip)('refuses a malformed server id (400)', async () => {
      const response = await callBack('not-a-uuid', 'Bearer token');
      expect(response.status).toBe(400);
      await nothingWritten();
    });
  });
});
