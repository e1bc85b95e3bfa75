import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

const run = promisify(execFile);
const script = join(__dirname, '../../ansible/inventory/berth_inventory.py');

/** Ansible's --list format: `_meta` with every host's variables, then one entry per group. */
type Inventory = { _meta: { hostvars: Record<string, Record<string, unknown>> } } & Record<
  string,
  unknown
>;

/**
 * The fleet's inventory for operators' tools: Ansible's dynamic inventory through the script
 * under ansible/inventory (a real python3 process calling the api), and the central feed.
 */
describe.skipIf(temporalUnavailable())('the inventory', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  let site: NonNullable<SiteData['site']>;
  const operator = { userId: 'olivia', operator: true };

  beforeAll(async () => {
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName('inventory') });
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Inventory site'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    site = (await eventually(
      'the site READY',
      async () => (await berth.graphql<SiteData>(siteQuery, { id: result.site.id })).data?.site,
      (found) => found?.status === 'READY',
      60_000,
    ))!;
  }, 120_000);
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  function inventoryScript(env: Record<string, string>, ...args: string[]) {
    return run('python3', [script, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 30_000,
    });
  }

  it("lists every server with its variables, grouped by site status, through Ansible's script", async () => {
    const { stdout } = await inventoryScript(
      { BERTH_URL: berth.apiUrl, BERTH_TOKEN: berth.token(operator) },
      '--list',
    );
    const inventory = JSON.parse(stdout) as Inventory;
    const hostname = site.hostname!;
    expect(inventory._meta.hostvars[hostname]).toMatchObject({
      ansible_host: site.ipv4,
      berth_ipv6: site.ipv6,
      berth_site_id: site.id,
      berth_site_status: 'ready',
    });
    expect(inventory.berth_sites).toEqual({ hosts: [hostname] });
    expect(inventory.status_ready).toEqual({ hosts: [hostname] });
    expect(inventory.all).toEqual({ children: ['berth_pool', 'berth_sites', 'status_ready'] });
    // --host has nothing to add: every variable came with --list.
    expect((await inventoryScript({}, '--host', hostname)).stdout.trim()).toBe('{}');
  });

  it('serves the central feed', async () => {
    const response = await fetch(`${berth.apiUrl}/inventory/feed`, {
      headers: { authorization: `Bearer ${berth.token(operator)}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const feed = (await response.json()) as { generatedAt: string; servers: unknown[] };
    expect(Date.parse(feed.generatedAt)).not.toBeNaN();
    expect(feed.servers).toEqual([
      expect.objectContaining({
        hostname: site.hostname,
        ipv4: site.ipv4,
        status: 'ready',
        site: expect.objectContaining({ id: site.id, owner: 'alice', status: 'ready' }) as unknown,
      }),
    ]);
  });

  it('is for operators only, and the script says so without printing the token', async () => {
    for (const path of ['/inventory', '/inventory/feed']) {
      expect((await fetch(`${berth.apiUrl}${path}`)).status).toBe(401);
      const user = await fetch(`${berth.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${berth.token({ userId: 'alice' })}` },
      });
      expect(user.status).toBe(403);
      const forged = await fetch(`${berth.apiUrl}${path}`, {
        headers: { authorization: 'Bearer not-a-token' },
      });
      expect(forged.status).toBe(401);
    }
    const token = berth.token({ userId: 'alice' });
    const refused = await inventoryScript(
      { BERTH_URL: berth.apiUrl, BERTH_TOKEN: token },
      '--list',
    ).catch((error: unknown) => error as { code: number; stdout: string; stderr: string });
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect((refused as { stderr: string }).stderr).toContain('403');
    expect((refused as { stderr: string }).stderr).not.toContain(token);
    const unset = await inventoryScript({}, '--list').catch(
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(unset).toMatchObject({ code: 1 });
    expect((unset as { stderr: string }).stderr).toContain('BERTH_URL');
  });
});
