import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../libs/db/orm';
import { Operation, SiteEvent } from '../../libs/domain';
import { type BerthStack, startBerth } from '../helpers/berth';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

const operator = { userId: 'olivia', operator: true };

/** Hostile input to the change mutations is refused at the edge and changes nothing. */
describe.skipIf(temporalUnavailable())('bad input to site changes', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  let siteId: string;

  beforeAll(async () => {
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName('bad-change') });
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Target'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    siteId = result.site.id;
    await eventually(
      'the target site becoming READY',
      async () => (await berth.graphql<SiteData>(siteQuery, { id: siteId })).data?.site,
      (site) => site?.status === 'READY',
    );
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function counts() {
    const em = forkEm(db.orm);
    return { operations: await em.count(Operation, {}), events: await em.count(SiteEvent, {}) };
  }

  const suspend =
    'mutation S($input: SuspendSiteInput!) { suspendSite(input: $input) { __typename } }';
  const disable =
    'mutation D($input: SiteChangeInput!) { disableSite(input: $input) { __typename } }';
  const renewal =
    'mutation R($input: SetSiteRenewalInput!) { setSiteRenewal(input: $input) { __typename } }';

  const cases: [string, string, () => Record<string, unknown>][] = [
    ['a site id that is not a UUID', disable, () => ({ siteId: "1' or '1'='1" })],
    ['an empty suspension reason', suspend, () => ({ siteId, reason: '' })],
    ['a blank suspension reason', suspend, () => ({ siteId, reason: '   ' })],
    ['an overlong suspension reason', suspend, () => ({ siteId, reason: 'r'.repeat(501) })],
    ['control characters in a reason', suspend, () => ({ siteId, reason: 'spam\u0000\u001b[31m' })],
    ['a short idempotency key', disable, () => ({ siteId, idempotencyKey: 'short' })],
    [
      'an idempotency key with spaces',
      disable,
      () => ({ siteId, idempotencyKey: 'a key with spaces' }),
    ],
    ['an unknown field', disable, () => ({ siteId, force: true })],
    ['a renewal that is not a boolean', renewal, () => ({ siteId, renews: 'yes' })],
  ];

  it.each(cases)('refuses %s and changes nothing', async (_what, mutation, input) => {
    const before = await counts();
    const response = await berth.graphql(mutation, { input: input() }, operator);
    expect(response.data ?? null).toBeNull();
    expect(['BAD_USER_INPUT', 'GRAPHQL_VALIDATION_FAILED']).toContain(
      response.errors?.[0]?.extensions?.code,
    );
    expect(await counts()).toEqual(before);
  });
});
