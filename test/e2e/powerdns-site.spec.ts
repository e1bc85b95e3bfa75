import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RecordType } from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DriftReport } from '../../activities/network/dns-activities';
import { PowerDnsAdapter } from '../../activities/network/dns/powerdns';
import { forkEm } from '../../libs/db/orm';
import { AuditEvent, HostKey, NetworkConfig, Vm } from '../../libs/domain';
import { parseAddress, ptrName } from '../../libs/network/addresses';
import { provisionWorkflowId, siteWorkflowId } from '../../libs/temporal/names';
import { type BerthStack, startBerth } from '../helpers/berth';
import { recordHistory, recordingHistories } from '../helpers/histories';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { queryDns } from '../helpers/dns-query';
import { eventually } from '../helpers/eventually';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { type PowerDnsServer, powerDnsUnavailable, startPowerDns } from '../helpers/powerdns';
import { operationFinished } from '../helpers/sites';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { siteState, type TestServerMutation, testServerMutation } from '../helpers/test-servers';
import { uniqueName } from '../helpers/test-names';

const run = promisify(execFile);
const zone = 'sites.berth.test';
const holdSeconds = 3;

/**
 * Provisioning with DNS=powerdns, checked by asking the real server over UDP: a new server's A,
 * AAAA, PTR and SSHFP records are published (signed) before it is built, its SSHFP records match
 * the host keys it was given, deleting the site takes every record away, and its name and
 * addresses come back to the pool after the hold. Then reconciliation finds and repairs drift. A
 * test server gets records of its own; a switch leaves the addresses with the names and moves
 * the SSHFP records with the servers' keys; deleting the test server takes its records away.
 */
describe.skipIf(temporalUnavailable() ?? powerDnsUnavailable())('sites on PowerDNS', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let pdns: PowerDnsServer;
  let berth: BerthStack;
  let keysDir: string;
  const operator = { userId: 'olivia', operator: true };

  beforeAll(async () => {
    [temporal, db, pdns] = await Promise.all([
      startTemporal(),
      startDatabase('sqlite'),
      startPowerDns(),
    ]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('powerdns-site'),
      env: {
        DNS: 'powerdns',
        POWERDNS_API_URL: pdns.apiUrl,
        POWERDNS_API_KEY: pdns.apiKey,
        BERTH_DNS_ZONE: zone,
        BERTH_ADDRESS_HOLD_SECONDS: String(holdSeconds),
      },
    });
    keysDir = mkdtempSync(join(tmpdir(), 'berth-sshfp-'));
  }, 120_000);
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop(), pdns?.stop()]);
    if (keysDir) rmSync(keysDir, { recursive: true, force: true });
  });

  async function ask(name: string, type: RecordType) {
    return queryDns({ host: '127.0.0.1', port: pdns.dnsPort, name, type, dnssec: true });
  }

  /** The answer's records of the asked type, as text; RRSIGs that cover them, by type. */
  async function records(name: string, type: RecordType) {
    const answer = await ask(name, type);
    const own = answer.answers?.filter((record) => record.type === type) ?? [];
    const signatures = (answer.answers ?? []).filter((record) => record.type === 'RRSIG');
    return {
      rcode: answer.rcode,
      values: own.map((record) => {
        if (record.type === 'SSHFP') {
          const data = record.data;
          return `${data.algorithm} ${data.hash} ${data.fingerprint.toLowerCase()}`;
        }
        return String((record as { data: unknown }).data);
      }),
      signed: signatures.some(
        (record) => (record as { data: { typeCovered: string } }).data.typeCovered === type,
      ),
    };
  }

  function ptrOf(address: string): string {
    const parsed = parseAddress(address)!;
    return ptrName(parsed.family, parsed.value);
  }

  async function requestReadySite(): Promise<NonNullable<SiteData['site']>> {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('DNS site'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    const site = await eventually(
      `site ${result.site.id} READY`,
      async () => (await berth.graphql<SiteData>(siteQuery, { id: result.site.id })).data?.site,
      (found) => found?.status === 'READY' || found?.status === 'FAILED',
      60_000,
    );
    expect(site?.status).toBe('READY');
    return site!;
  }

  async function deleteSite(siteId: string): Promise<void> {
    const deleted = await berth.graphql<{ deleteSite: { __typename: string } }>(
      'mutation D($siteId: ID!) { deleteSite(input: { siteId: $siteId }) { __typename } }',
      { siteId },
      operator,
    );
    expect(deleted.data?.deleteSite.__typename).toBe('SiteOperationPayload');
    await eventually(
      'the site DELETED',
      async () => (await berth.graphql<SiteData>(siteQuery, { id: siteId }, operator)).data?.site,
      (site) => site?.status === 'DELETED',
      30_000,
    );
  }

  /** What `ssh-keygen -r` makes of a VM's public host keys: `<alg> 2 <hex>` lines. */
  async function sshKeygenSshfp(vmId: string, hostname: string): Promise<string[]> {
    const keys = await forkEm(db.orm).find(HostKey, { vmId });
    const lines: string[] = [];
    for (const key of keys) {
      const file = join(keysDir, `${vmId}-${key.type}.pub`);
      writeFileSync(file, `${key.publicKey}\n`);
      const { stdout } = await run('ssh-keygen', ['-r', hostname, '-f', file], { timeout: 10_000 });
      lines.push(
        ...stdout
          .split('\n')
          .map((line) => /IN SSHFP (\d+) (\d+) ([0-9a-f]+)$/.exec(line.trim()))
          .filter((match) => match !== null && match[2] === '2')
          .map((match) => `${match![1]} 2 ${match![3]}`),
      );
    }
    return lines.sort();
  }

  /** Makes one of the test-server changes and waits for its operation, which must succeed. */
  async function applied(name: TestServerMutation, input: Record<string, unknown>) {
    const result = await testServerMutation(berth, name, input);
    if (!result.operation) throw new Error(`${name} refused: ${JSON.stringify(result)}`);
    const operation = await operationFinished(berth, result.operation.id);
    expect(operation?.status, JSON.stringify(operation)).toBe('SUCCEEDED');
  }

  /** A server's records as DNS answers them: addresses and SSHFP by name, names by address. */
  async function published(server: { hostname: string; ipv4: string; ipv6: string }) {
    return {
      a: (await records(server.hostname, 'A')).values,
      aaaa: (await records(server.hostname, 'AAAA')).values,
      sshfp: [...(await records(server.hostname, 'SSHFP')).values].sort(),
      ptr4: (await records(ptrOf(server.ipv4), 'PTR')).values,
      ptr6: (await records(ptrOf(server.ipv6), 'PTR')).values,
    };
  }

  it('publishes a new server in signed DNS and takes it out again with the site', async () => {
    const site = await requestReadySite();
    const hostname = site.hostname!;
    expect(hostname).toMatch(/^web-\d+\.sites\.berth\.test$/);

    const a = await records(hostname, 'A');
    expect(a).toMatchObject({ rcode: 'NOERROR', values: [site.ipv4], signed: true });
    const aaaa = await records(hostname, 'AAAA');
    expect(aaaa).toMatchObject({ values: [site.ipv6], signed: true });
    expect((await records(ptrOf(site.ipv4!), 'PTR')).values).toEqual([hostname]);
    expect((await records(ptrOf(site.ipv6!), 'PTR')).values).toEqual([hostname]);

    // The SSHFP records are OpenSSH's own reading of the keys the server was given.
    const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId: site.id });
    const sshfp = await records(hostname, 'SSHFP');
    expect(sshfp.signed).toBe(true);
    expect(sshfp.values).toHaveLength(3);
    expect([...sshfp.values].sort()).toEqual(await sshKeygenSshfp(vm.id, hostname));
    // The installer fetched them before it reported the install.
    const keys = await forkEm(db.orm).find(HostKey, { vmId: vm.id });
    expect(keys.map((key) => key.type).sort()).toEqual(['ecdsa', 'ed25519', 'rsa']);
    for (const key of keys) expect(key.deliveredAt).not.toBeNull();

    await deleteSite(site.id);
    if (recordingHistories) {
      // Replay fixtures of the `network-dns-keys` patch: a build with keys and DNS, and a
      // site whose deletion takes its records out of DNS.
      await recordHistory(berth, temporal.address, provisionWorkflowId(vm.id), 'provision-vm-dns');
      await recordHistory(berth, temporal.address, siteWorkflowId(site.id), 'site-dns-delete');
    }

    for (const type of ['A', 'AAAA', 'SSHFP'] as const) {
      expect((await records(hostname, type)).values).toEqual([]);
    }
    expect((await records(hostname, 'A')).rcode).toBe('NXDOMAIN');
    expect((await records(ptrOf(site.ipv4!), 'PTR')).values).toEqual([]);
    expect((await records(ptrOf(site.ipv6!), 'PTR')).values).toEqual([]);
    // Its keys are forgotten; its name and addresses are held, not yet free.
    expect(await forkEm(db.orm).count(HostKey, { vmId: vm.id })).toBe(0);
    const held = await forkEm(db.orm).findOneOrFail(NetworkConfig, { vmId: vm.id });
    expect(held.state).toBe('held');

    // A site made during the hold gets other addresses...
    const during = await requestReadySite();
    expect(during.hostname).not.toBe(hostname);
    expect(during.ipv4).not.toBe(site.ipv4);
    // ...and one made after it gets the released ones back (the lowest free), name and all.
    const holdEnds = held.holdUntil!.getTime();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, holdEnds - Date.now() + 200)));
    const after = await requestReadySite();
    expect(after).toMatchObject({ hostname, ipv4: site.ipv4, ipv6: site.ipv6 });
    expect((await records(hostname, 'A')).values).toEqual([site.ipv4]);
    expect(await forkEm(db.orm).count(NetworkConfig, { vmId: vm.id })).toBe(0);
  }, 180_000);

  it('finds drift between DNS and the database, and repairs it when told to', async () => {
    const site = await requestReadySite();
    const hostname = site.hostname!;
    const admin = new PowerDnsAdapter({
      apiUrl: pdns.apiUrl,
      apiKey: pdns.apiKey,
      nameservers: [`ns1.${zone}`],
    });
    // Someone edits the zone by hand: a wrong address, a lost PTR and a record of no server.
    await admin.applyChanges({
      zone,
      replace: [
        { name: hostname, type: 'A', ttl: 3600, records: ['192.0.2.250'] },
        { name: `web-999.${zone}`, type: 'A', ttl: 3600, records: ['192.0.2.251'] },
      ],
      remove: [],
    });
    const v6 = parseAddress(site.ipv6!)!;
    const pool = await forkEm(db.orm).findOneOrFail(NetworkConfig, { hostname });
    expect(pool.ipv6PoolId).toBe('default-ipv6');
    await admin.applyChanges({
      zone: '0.0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa',
      replace: [],
      remove: [{ name: ptrName('ipv6', v6.value), type: 'PTR' }],
    });

    const reconcile = (repair: boolean) =>
      berth.temporal.workflow.execute<(input: { repair: boolean }) => Promise<DriftReport>>(
        'reconcileDns',
        {
          taskQueue: berth.config.temporal.taskQueue,
          workflowId: uniqueName('dns-reconcile'),
          args: [{ repair }],
        },
      );

    const found = await reconcile(false);
    expect(found.repaired).toBe(false);
    expect(found.total).toBe(3);
    expect(found.zones).toEqual(
      expect.arrayContaining([
        { zone, missing: 0, changed: 1, stale: 1 },
        { zone: '0.0.0.0.0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa', missing: 1, changed: 0, stale: 0 },
      ]),
    );
    expect(found.examples.join('\n')).toContain(`web-999.${zone} A`);
    // Reporting changes nothing.
    expect((await records(hostname, 'A')).values).toEqual(['192.0.2.250']);
    const reported = await forkEm(db.orm).find(AuditEvent, { action: 'dns.drift-found' });
    expect(reported).toHaveLength(1);
    expect(reported[0]!.summary).toContain('3 record sets differ');

    const repaired = await reconcile(true);
    expect(repaired).toMatchObject({ repaired: true, total: 3 });
    expect((await records(hostname, 'A')).values).toEqual([site.ipv4]);
    expect((await records(`web-999.${zone}`, 'A')).values).toEqual([]);
    expect((await records(ptrOf(site.ipv6!), 'PTR')).values).toEqual([hostname]);
    expect(await forkEm(db.orm).count(AuditEvent, { action: 'dns.drift-repaired' })).toBe(1);

    expect(await reconcile(false)).toMatchObject({ total: 0, zones: [] });
  }, 120_000);

  it('publishes a test server, moves the SSHFP records with the keys on a switch, and removes it', async () => {
    const site = await requestReadySite();
    const production = { hostname: site.hostname!, ipv4: site.ipv4!, ipv6: site.ipv6! };
    const productionVmId = (await siteState(berth, site.id)).vmId!;

    await applied('createTestServer', { siteId: site.id });
    const test = (await siteState(berth, site.id)).testServer!;
    expect(test.hostname).not.toBe(production.hostname);
    const before = { production: await published(production), test: await published(test) };
    expect(before.test).toEqual({
      a: [test.ipv4],
      aaaa: [test.ipv6],
      sshfp: await sshKeygenSshfp(test.vmId, test.hostname),
      ptr4: [test.hostname],
      ptr6: [test.hostname],
    });
    expect((await records(test.hostname, 'SSHFP')).signed).toBe(true);
    expect(before.test.sshfp).toHaveLength(3);
    expect(before.production.sshfp).toEqual(
      await sshKeygenSshfp(productionVmId, production.hostname),
    );

    // The addresses (and so the A, AAAA and PTR records) stay with the names; the servers change
    // places under them, and each name's SSHFP records are now those of the keys behind it. (A
    // clone that carries its source's keys, as its disk does, makes the two sets equal.)
    await applied('switchTestServer', { siteId: site.id });
    expect((await siteState(berth, site.id)).vmId).toBe(test.vmId);
    expect(await published(production)).toEqual({ ...before.production, sshfp: before.test.sshfp });
    expect(await published(test)).toEqual({ ...before.test, sshfp: before.production.sshfp });
    expect((await records(production.hostname, 'SSHFP')).signed).toBe(true);
    expect((await published(production)).sshfp).toEqual(
      await sshKeygenSshfp(test.vmId, production.hostname),
    );

    await applied('deleteTestServer', { siteId: site.id });
    expect(await published(test)).toEqual({ a: [], aaaa: [], sshfp: [], ptr4: [], ptr6: [] });
    expect(await published(production)).toEqual({
      ...before.production,
      sshfp: before.test.sshfp,
    });

    await deleteSite(site.id);
    expect(await published(production)).toEqual({ a: [], aaaa: [], sshfp: [], ptr4: [], ptr6: [] });
  }, 120_000);
});
