import { createPublicKey, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm } from '../../libs/db/orm';
import { ConfigurationRun, Vm } from '../../libs/domain';
import { siteWorkflowId } from '../../libs/temporal/names';
import { type BerthStack, startBerth } from '../helpers/berth';
import { recordHistory, recordingHistories } from '../helpers/histories';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { type DebianRoot, debianRootUnavailable, startDebianRoot } from '../helpers/debian-root';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { siteState, testServerMutation } from '../helpers/test-servers';
import { aCaChain, aLeaf } from '../helpers/test-ca';
import { uniqueName } from '../helpers/test-names';

const owner = { userId: 'alice' };

interface RunData {
  operation: {
    status: string;
    configurationRuns: {
      status: string;
      adapter: string;
      ok: number;
      changed: number;
      failed: number;
      output: string;
    }[];
  } | null;
}

/**
 * ANSIBLE=ansible from GraphQL to disk: a requested site's server (a real Debian 12 root, driven
 * with Ansible's chroot connection) is configured by ansible-playbook on the ansible task queue;
 * changing the site's virtual hosts and users through GraphQL runs it again, and changes that
 * arrive during a run lead to exactly one follow-up run. A test server cloned from it is configured
 * by a run of its own.
 */
describe.skipIf(temporalUnavailable() ?? debianRootUnavailable())(
  'a site configured by Ansible',
  () => {
    let temporal: TestTemporal;
    let db: TestDatabase;
    let root: DebianRoot;
    let berth: BerthStack;
    let siteId: string;
    let hostname: string;
    /** Where Apache serves HTTPS. */
    let httpsPort: number;

    beforeAll(async () => {
      [temporal, db, root] = await Promise.all([
        startTemporal(),
        startDatabase('sqlite'),
        startDebianRoot(),
      ]);
      // The server's connection, as an operator's BERTH_ANSIBLE_HOST_VARS would give it; services
      // listen on loopback ports only.
      const hostVars = join(root.dir, '..', `${uniqueName('host-vars')}.json`);
      writeFileSync(
        hostVars,
        JSON.stringify({
          ansible_connection: 'community.general.chroot',
          ansible_host: root.dir,
          web_http_listen: `127.0.0.1:${await freePort()}`,
          web_https_listen: `127.0.0.1:${(httpsPort = await freePort())}`,
          metrics_listen_address: `127.0.0.1:${await freePort()}`,
          access_sshd_listen_addresses: [`127.0.0.1:${await freePort()}`],
          mysql_skip_networking: true,
          common_apt_cache_valid_time: 10 * 365 * 24 * 3600,
        }),
      );
      berth = await startBerth({
        db,
        temporal,
        taskQueue: uniqueName('ansible-site'),
        env: {
          ANSIBLE: 'ansible',
          BERTH_ANSIBLE_HOST_VARS: hostVars,
          // The example.org names below are the organisation's: served without approval.
          BERTH_ORGANISATION_ZONES: 'example.org',
        },
      });
      const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
        input: { name: uniqueName('Ansible site'), contactEmail: 'alice@example.org' },
      });
      const result = response.data?.requestSite;
      if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
      siteId = result.site.id;
      const site = await eventually(
        'the site READY',
        async () => (await berth.graphql<SiteData>(siteQuery, { id: siteId })).data?.site,
        (found) => found?.status === 'READY' || found?.status === 'FAILED',
        240_000,
      );
      expect(site?.status).toBe('READY');
      hostname = site!.hostname!;
    }, 300_000);
    afterAll(async () => {
      await berth?.stop();
      await Promise.all([temporal?.teardown(), db?.stop(), root?.stop()]);
    });

    const onDisk = (path: string) => join(root.dir, path);
    const passwd = () => readFileSync(onDisk('etc/passwd'), 'utf8');

    const inputTypes = {
      addVhost: 'AddVhostInput',
      grantSiteRole: 'SiteRoleInput',
      revokeSiteRole: 'SiteRoleInput',
    } as const;

    async function change(
      mutation: keyof typeof inputTypes,
      input: Record<string, unknown>,
    ): Promise<string> {
      const response = await berth.graphql<Record<string, { operation?: { id: string } }>>(
        `mutation M($input: ${inputTypes[mutation]}!) {
          ${mutation}(input: $input) { __typename ... on SiteOperationPayload { operation { id } } }
        }`,
        { input: { siteId, ...input } },
        owner,
      );
      const id = response.data?.[mutation]?.operation?.id;
      if (!id) throw new Error(JSON.stringify(response));
      return id;
    }

    async function finished(operationId: string): Promise<NonNullable<RunData['operation']>> {
      const operation = await eventually(
        `operation ${operationId} finished`,
        async () =>
          (
            await berth.graphql<RunData>(
              `query O($id: ID!) { operation(id: $id) { status
                configurationRuns { status adapter ok changed failed output } } }`,
              { id: operationId },
              owner,
            )
          ).data?.operation,
        (operation) => operation?.status === 'SUCCEEDED' || operation?.status === 'FAILED',
        240_000,
      );
      return operation!;
    }

    it('configures the new server: its default virtual host and its admin', async () => {
      // One enabled site answers as the server's host name: the default virtual host.
      const configs = readdirSync(onDisk('etc/apache2/sites-enabled')).map((file) =>
        readFileSync(onDisk(`etc/apache2/sites-enabled/${file}`), 'utf8'),
      );
      expect(configs.filter((config) => config.includes(`ServerName ${hostname}`))).toHaveLength(1);
      expect(existsSync(onDisk('var/www/default'))).toBe(true);
      expect(passwd()).toMatch(/^alice:/m);
      // The provisioning's run is on its operation, with ansible's own counts and output.
      const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
      const runs = await forkEm(db.orm).find(ConfigurationRun, { vmId: vm.id });
      expect(runs.map((run) => [run.adapter, run.status])).toEqual([['ansible', 'succeeded']]);
      expect(runs[0]!.changed).toBeGreaterThan(0);
    });

    it('runs again when the site changes through GraphQL, and the server reflects it', async () => {
      const added = await finished(
        await change('addVhost', {
          name: 'shop',
          serverName: 'shop.example.org',
          aliases: [{ name: 'www.shop.example.org' }],
        }),
      );
      expect(added.status).toBe('SUCCEEDED');
      expect(added.configurationRuns).toEqual([
        expect.objectContaining({ status: 'SUCCEEDED', adapter: 'ansible', failed: 0 }),
      ]);
      expect(added.configurationRuns[0]!.output).toContain('PLAY RECAP');
      const shop = readdirSync(onDisk('etc/apache2/sites-enabled')).find((file) =>
        file.includes('shop'),
      );
      expect(shop).toBeDefined();
      const config = readFileSync(onDisk(`etc/apache2/sites-enabled/${shop!}`), 'utf8');
      expect(config).toContain('ServerName shop.example.org');
      expect(config).toContain('ServerAlias www.shop.example.org');
      expect(existsSync(onDisk('var/www/shop'))).toBe(true);

      expect(
        (await finished(await change('grantSiteRole', { user: 'bob', role: 'SSH_USER' }))).status,
      ).toBe('SUCCEEDED');
      expect(passwd()).toMatch(/^bob:/m);
      expect(
        (await finished(await change('revokeSiteRole', { user: 'bob', role: 'SSH_USER' }))).status,
      ).toBe('SUCCEEDED');
      expect(passwd()).not.toMatch(/^bob:/m);
    }, 600_000);

    it('installs an uploaded certificate, key and chain for the vhost, and Apache serves them', async () => {
      const ca = await aCaChain('Ansible Test CA');
      const requested = await berth.graphql<{
        requestCertificate: { certificate?: { id: string; csr: string } };
      }>(
        `mutation R($input: RequestCertificateInput!) {
          requestCertificate(input: $input) {
            ... on RequestCertificatePayload { certificate { id csr } }
          }
        }`,
        { input: { siteId, vhost: 'default', names: [hostname] } },
        owner,
      );
      const request = requested.data?.requestCertificate.certificate;
      if (!request) throw new Error(JSON.stringify(requested));
      const leaf = await aLeaf({
        issuer: ca.intermediate,
        publicKey: request.csr,
        names: [hostname],
      });
      const uploaded = await berth.graphql<{
        uploadCertificate: { operation?: { id: string } };
      }>(
        `mutation U($input: UploadCertificateInput!) {
          uploadCertificate(input: $input) {
            ... on UploadCertificatePayload { operation { id } }
          }
        }`,
        {
          input: { siteId, certificateId: request.id, certificate: leaf, chain: ca.chain },
        },
        owner,
      );
      const operationId = uploaded.data?.uploadCertificate.operation?.id;
      if (!operationId) throw new Error(JSON.stringify(uploaded));
      expect((await finished(operationId)).status).toBe('SUCCEEDED');

      // Certificate with its chain, and the key Berth made, only root may read.
      const pem = readFileSync(onDisk('etc/ssl/berth/default.pem'), 'utf8');
      expect(pem).toBe(`${leaf.trim()}\n${ca.intermediate.pem.trim()}\n`);
      const key = readFileSync(onDisk('etc/ssl/berth/default.key'), 'utf8');
      expect(createPublicKey(key).equals(createPublicKey(leaf))).toBe(true);
      for (const file of ['etc/ssl/berth/default.pem', 'etc/ssl/berth/default.key']) {
        const info = statSync(onDisk(file));
        expect([info.mode & 0o777, info.uid], file).toEqual([0o600, 0]);
      }
      const config = readFileSync(onDisk('etc/apache2/sites-enabled/berth-default.conf'), 'utf8');
      expect(config).toContain('SSLEngine on');
      expect(config).toContain('SSLCertificateKeyFile /etc/ssl/berth/default.key');
      // A client that trusts only the root gets the certificate, and the chain that verifies it.
      expect(await servedCertificate(httpsPort, hostname, ca.root.pem)).toBe(
        new X509Certificate(leaf).fingerprint256,
      );
    }, 600_000);

    it('coalesces changes made during a run into exactly one follow-up run', async () => {
      const vm = await forkEm(db.orm).findOneOrFail(Vm, { siteId });
      const before = await forkEm(db.orm).count(ConfigurationRun, { vmId: vm.id });
      const first = await change('addVhost', { name: 'blog', serverName: 'blog.example.org' });
      // Wait until ansible-playbook is running this change, then make three more.
      await eventually(
        'the first run started',
        () => forkEm(db.orm).count(ConfigurationRun, { vmId: vm.id, status: 'running' }),
        (running) => running > 0,
        60_000,
      );
      const during = await Promise.all([
        change('addVhost', { name: 'docs', serverName: 'docs.example.org' }),
        change('grantSiteRole', { user: 'carol', role: 'ADMIN' }),
        change('addVhost', { name: 'wiki', serverName: 'wiki.example.org' }),
      ]);
      for (const id of [first, ...during]) expect((await finished(id)).status).toBe('SUCCEEDED');
      const runs = await forkEm(db.orm).find(
        ConfigurationRun,
        { vmId: vm.id },
        { orderBy: { startedAt: 'asc' } },
      );
      // The run that was going, and one more for the three changes: not four.
      expect(runs.slice(before).map((run) => run.status)).toEqual(['succeeded', 'succeeded']);
      const enabled = readdirSync(onDisk('etc/apache2/sites-enabled')).join(' ');
      for (const name of ['blog', 'docs', 'wiki']) expect(enabled).toContain(name);
      expect(passwd()).toMatch(/^carol:/m);
      if (recordingHistories) {
        // Replay fixture of the `ansible-task-queue` patch: runs on the ansible queue, coalesced.
        await recordHistory(berth, temporal.address, siteWorkflowId(siteId), 'site-ansible-runs');
      }
    }, 600_000);

    // Every host's connection is the one Debian root (BERTH_ANSIBLE_HOST_VARS), so the test
    // server's run goes to the same root: what shows it is the run recorded for its VM. Last, as
    // it leaves the root configured as the test server.
    it('configures a test server cloned from the site’s server in a run of its own', async () => {
      const created = await testServerMutation(berth, 'createTestServer', { siteId });
      if (!created.operation) throw new Error(JSON.stringify(created));
      const operation = await finished(created.operation.id);
      expect(operation.status).toBe('SUCCEEDED');
      expect(operation.configurationRuns).toEqual([
        expect.objectContaining({ status: 'SUCCEEDED', adapter: 'ansible', failed: 0 }),
      ]);
      const test = (await siteState(berth, siteId)).testServer!;
      const runs = await forkEm(db.orm).find(ConfigurationRun, { vmId: test.vmId });
      expect(runs.map((run) => [run.adapter, run.status])).toEqual([['ansible', 'succeeded']]);
      expect(runs[0]!.operationId).toBe(created.operation.id);
    }, 600_000);
  },
);

/** The SHA-256 fingerprint of the certificate a TLS server presents for `servername`, trusting only `ca`. */
function servedCertificate(port: number, servername: string, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca, timeout: 10_000 }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on('timeout', () => socket.destroy(new Error(`no TLS answer on port ${port}`)));
    socket.on('error', reject);
  });
}
