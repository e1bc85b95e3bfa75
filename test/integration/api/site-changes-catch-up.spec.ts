import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  IllegalTransitionError,
  SiteOperationPayload,
} from '../../../apps/api/sites/change-site.payload';
import { SiteChangesService } from '../../../apps/api/sites/site-changes.service';
import { type Principal } from '../../../libs/auth/principal';
import { forkEm } from '../../../libs/db/orm';
import { Operation, Site, type SiteStatus } from '../../../libs/domain';
import { createLogger } from '../../../libs/logger';
import { testConfig } from '../../helpers/config';
import { startDatabase, type TestDatabase } from '../../helpers/databases';

/** A workflow that refuses the first `refusals` Updates, judging by `judged`, then accepts. */
function workflowRefusing(refusals: number, judged: SiteStatus) {
  const calls: string[] = [];
  const client = {
    workflow: {
      getHandle: () => ({
        executeUpdate: (_update: unknown, options: { updateId: string }) => {
          calls.push(options.updateId);
          if (calls.length <= refusals) {
            return Promise.reject(
              new WorkflowUpdateFailedError(
                'refused',
                ApplicationFailure.create({
                  type: 'IllegalTransition',
                  message: `a ${judged} site cannot be changed by reboot`,
                  nonRetryable: true,
                  details: [judged],
                }),
              ),
            );
          }
          return Promise.resolve({ operationId: options.updateId });
        },
      }),
    },
  };
  return { client: client as unknown as Client, calls };
}

/**
 * The api's answer to a refusal judged on a status the database has already moved past: the
 * provisioning operation ends in the transaction that makes the site ready, so a client may send
 * a change before the site workflow has applied that result, and its validator still sees the
 * site installing. The change is sent again (same Update id) until the workflow catches up; a
 * refusal on the status the database has too stands at once, and so does one after the retries.
 * The database is real (SQLite); the workflow is a stand-in that refuses as told.
 */
describe('a change refused by a workflow that has not caught up', () => {
  let db: TestDatabase;
  const log = createLogger({ level: 'silent', name: 'test' });

  beforeAll(async () => {
    db = await startDatabase('sqlite');
  });
  afterAll(async () => {
    await db?.stop();
  });

  async function siteIn(status: SiteStatus): Promise<string> {
    const site = new Site({
      id: randomUUID(),
      name: `catch-up ${randomUUID()}`,
      description: '',
      owner: 'alice',
      contactEmail: 'alice@example.org',
    });
    site.status = status;
    await forkEm(db.orm).persistAndFlush(site);
    return site.id;
  }

  const principal: Principal = {
    userId: 'alice',
    groups: [],
    operator: false,
    scopes: ['sites:write'],
    via: 'dev-token',
  };

  /** The service on this database, with a client that only answers Updates (never dialled). */
  const changesService = (client: Client) =>
    new SiteChangesService(
      testConfig({ database: db.database, temporalAddress: '127.0.0.1:7233' }),
      db.orm,
      client,
      log,
    );

  it('is sent again until the workflow accepts it', async () => {
    const siteId = await siteIn('ready');
    const { client, calls } = workflowRefusing(2, 'installing');
    const service = changesService(client);
    const result = await service.change(principal, siteId, { kind: 'reboot' }, null);
    expect(result).toBeInstanceOf(SiteOperationPayload);
    expect(calls).toHaveLength(3);
    // One operation, sent under one Update id each time.
    expect(new Set(calls).size).toBe(1);
    expect(await forkEm(db.orm).count(Operation, { siteId })).toBe(1);
  });

  it('stands at once when the database says what the workflow judged by', async () => {
    const siteId = await siteIn('disabled');
    const { client, calls } = workflowRefusing(1, 'disabled');
    const service = changesService(client);
    const result = await service.change(principal, siteId, { kind: 'reboot' }, null);
    expect(result).toBeInstanceOf(IllegalTransitionError);
    expect(calls).toHaveLength(1);
    expect(await forkEm(db.orm).count(Operation, { siteId })).toBe(0);
  });

  it('stands after a few tries when the workflow never catches up', async () => {
    const siteId = await siteIn('ready');
    const { client, calls } = workflowRefusing(100, 'installing');
    const service = changesService(client);
    const result = await service.change(principal, siteId, { kind: 'reboot' }, null);
    expect(result).toBeInstanceOf(IllegalTransitionError);
    expect(calls).toHaveLength(4);
    expect(await forkEm(db.orm).count(Operation, { siteId })).toBe(0);
  });
});
