import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expiryKey } from '../../activities/certificates/activities';
import { siteConfiguration } from '../../activities/ansible/site-data';
import { atRestKey, openSecret, sealSecret } from '../../activities/keys/secret-box';
import { type DevTokenOptions } from '../../libs/auth/dev-token';
import { forkEm } from '../../libs/db/orm';
import {
  certificateKeyContext,
  ConfigurationRun,
  DomainName,
  Notification,
  Operation,
  SiteCertificate,
  SiteEvent,
  Vhost,
} from '../../libs/domain';
import { ensureCertificateExpirySchedule } from '../../libs/temporal/certificate-expiry-schedule';
import { certificateExpiryScheduleId, siteWorkflowId } from '../../libs/temporal/names';
import { readRequest } from '../../libs/tls';
import { x509 } from '../../libs/tls/x509';
import { checkCertificates } from '../../workflows/certificates';
import { siteStateQuery } from '../../workflows/site.messages';
import { type BerthStack, startBerth } from '../helpers/berth';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../helpers/databases';
import { eventually } from '../helpers/eventually';
import {
  type OperationData,
  operationQuery,
  type RequestSiteData,
  requestSiteMutation,
} from '../helpers/graphql-documents';
import { recordHistory, recordingHistories } from '../helpers/histories';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { aCa, aCaChain, aLeaf, anRsaKeyPair, days, type TestCa } from '../helpers/test-ca';
import { uniqueName } from '../helpers/test-names';

/**
 * Sites' TLS certificates end to end (issue #8, item 4): a request makes the key and CSR on the
 * server; an upload is checked against key, names, validity and chain, then installed by a
 * configuration run; every bad upload gets its typed error and changes nothing; the daily expiry
 * check marks expired certificates and queues each reminder once.
 */

const alice: DevTokenOptions = { userId: 'alice' };
const operator: DevTokenOptions = { userId: 'olivia', operator: true };

type Refusal = { __typename: string; code: string; message: string; field: string | null };

interface CertificateView {
  id: string;
  vhost: string;
  names: string[];
  status: string;
  csr: string;
  certificate: string | null;
  chain: string | null;
  issuer: string | null;
  notBefore: string | null;
  notAfter: string | null;
  fingerprint: string | null;
  createdBy: string;
}

const certificateFields = `id vhost names status csr certificate chain issuer notBefore notAfter
  fingerprint createdBy`;

const requestMutation = /* GraphQL */ `
  mutation Request($input: RequestCertificateInput!) {
    result: requestCertificate(input: $input) {
      __typename
      ... on RequestCertificatePayload { certificate { ${certificateFields} } }
      ... on UserError { code message field }
    }
  }
`;

const uploadMutation = /* GraphQL */ `
  mutation Upload($input: UploadCertificateInput!) {
    result: uploadCertificate(input: $input) {
      __typename
      ... on UploadCertificatePayload {
        certificate { ${certificateFields} }
        operation { id kind }
      }
      ... on UserError { code message field }
    }
  }
`;

const removeMutation = /* GraphQL */ `
  mutation Remove($input: RemoveCertificateInput!) {
    result: removeCertificate(input: $input) {
      __typename
      ... on RemoveCertificatePayload {
        certificateId
        operation {
          id
          kind
        }
      }
      ... on UserError {
        code
        message
        field
      }
    }
  }
`;

const addVhostMutation = /* GraphQL */ `
  mutation AddVhost($input: AddVhostInput!) {
    result: addVhost(input: $input) {
      __typename
      ... on SiteOperationPayload {
        operation {
          id
        }
      }
      ... on UserError {
        code
        message
        field
      }
    }
  }
`;

const siteCertificatesQuery = /* GraphQL */ `
  query SiteCertificates($id: ID!) {
    site(id: $id) { status hostname certificates { ${certificateFields} } }
  }
`;

interface SiteCertificatesData {
  site: { status: string; hostname: string | null; certificates: CertificateView[] } | null;
}

describe.each(databaseKinds)('TLS certificates on %s', (kind) => {
  const skip = temporalUnavailable() ?? databaseUnavailable(kind);
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  let root: TestCa;
  let intermediate: TestCa;

  beforeAll(async () => {
    if (skip) return;
    [temporal, db, { root, intermediate }] = await Promise.all([
      startTemporal(),
      startDatabase(kind),
      aCaChain('Berth Test CA'),
    ]);
    berth = await startBerth({ db, temporal, taskQueue: uniqueName(`certificates-${kind}`) });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  async function readySite(): Promise<{ siteId: string; hostname: string }> {
    const response = await berth.graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: uniqueName('Certificates'), contactEmail: 'alice@example.org' },
    });
    const result = response.data?.requestSite;
    if (!result || !('site' in result)) throw new Error(JSON.stringify(response));
    const site = await statusOf(result.site.id, 'READY');
    return { siteId: result.site.id, hostname: site.hostname! };
  }

  async function siteCertificates(siteId: string) {
    const response = await berth.graphql<SiteCertificatesData>(
      siteCertificatesQuery,
      { id: siteId },
      operator,
    );
    if (!response.data?.site) throw new Error(JSON.stringify(response));
    return response.data.site;
  }

  function statusOf(siteId: string, status: string) {
    return eventually(
      `site ${siteId} becoming ${status}`,
      () => siteCertificates(siteId),
      (site) => site.status === status,
    );
  }

  async function send<T>(mutation: string, input: Record<string, unknown>): Promise<T | Refusal> {
    const response = await berth.graphql<{ result: T | Refusal }>(mutation, { input }, alice);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.result;
  }

  async function requested(input: {
    siteId: string;
    vhost: string;
    names: string[];
  }): Promise<CertificateView> {
    const result = await send<{ certificate: CertificateView }>(requestMutation, input);
    if (!('certificate' in result)) throw new Error(`refused: ${JSON.stringify(result)}`);
    return result.certificate;
  }

  /** Uploads, expects acceptance, and waits for the run that installs it and the site's READY. */
  async function installed(input: Record<string, unknown> & { siteId: string }) {
    const result = await send<{ certificate: CertificateView; operation: { id: string } }>(
      uploadMutation,
      input,
    );
    if (!('operation' in result)) throw new Error(`refused: ${JSON.stringify(result)}`);
    expect(await finished(result.operation.id)).toBe('SUCCEEDED');
    await statusOf(input.siteId, 'READY');
    return result;
  }

  async function finished(operationId: string): Promise<string | undefined> {
    const operation = await eventually(
      `operation ${operationId} finishing`,
      async () =>
        (await berth.graphql<OperationData>(operationQuery, { id: operationId })).data?.operation,
      (op) => op?.status === 'SUCCEEDED' || op?.status === 'FAILED',
    );
    return operation?.status;
  }

  /** The vars and secrets a configuration run of the site's server would get now. */
  async function runData(siteId: string) {
    const state = await berth.temporal.workflow
      .getHandle(siteWorkflowId(siteId))
      .query(siteStateQuery);
    return siteConfiguration(db.orm, berth.config.secretKey, {
      vmId: state.vmId!,
      siteId,
      hostname: state.hostname!,
      ipv4: state.ipv4!,
      ipv6: state.ipv6!,
    });
  }

  /** Everything a refused request must leave as it was. */
  async function written(siteId: string) {
    const em = forkEm(db.orm);
    const certificates = await em.find(
      SiteCertificate,
      { siteId },
      { orderBy: { id: 'asc' }, populate: ['sealedKey'] },
    );
    return {
      certificates: certificates.map((row) => ({
        id: row.id,
        status: row.status,
        certificate: row.certificate,
        chain: row.chain,
        pendingVhost: row.pendingVhost,
        sealedKey: row.sealedKey,
        updatedAt: row.updatedAt.getTime(),
      })),
      operations: await em.count(Operation, { siteId }),
      events: await em.count(SiteEvent, { siteId }),
      runs: await em.count(ConfigurationRun, { siteId }),
    };
  }

  /** The private key Berth keeps for a certificate, opened as the worker opens it. */
  async function keyOf(certificateId: string): Promise<string> {
    const row = await forkEm(db.orm).findOneOrFail(SiteCertificate, certificateId, {
      populate: ['sealedKey'],
    });
    return openSecret(
      atRestKey(berth.config.secretKey),
      row.sealedKey,
      certificateKeyContext(certificateId),
    );
  }

  it.skipIf(skip)(
    'makes the key and CSR on the server for names the vhost answers as, and never shows the key',
    async () => {
      const { siteId, hostname } = await readySite();
      const response = await berth.graphql<{ result: { certificate: CertificateView } }>(
        requestMutation,
        { input: { siteId, vhost: 'default', names: [hostname], idempotencyKey: 'request-1' } },
        alice,
      );
      const request = response.data!.result.certificate;
      expect(request).toMatchObject({
        vhost: 'default',
        names: [hostname],
        status: 'REQUESTED',
        certificate: null,
        notAfter: null,
        createdBy: 'alice',
      });
      // The CSR is a real one, for the names asked, signed by its own key.
      const csr = new x509.Pkcs10CertificateRequest(request.csr);
      expect(await csr.verify()).toBe(true);
      expect(csr.subject).toBe(`CN=${hostname}`);
      expect(readRequest(request.csr).names).toEqual([hostname]);
      // The key: only in the database, sealed, and the CSR's.
      expect(JSON.stringify(response)).not.toMatch(/PRIVATE KEY/);
      const row = await forkEm(db.orm).findOneOrFail(SiteCertificate, request.id, {
        populate: ['sealedKey'],
      });
      expect(row.sealedKey).not.toMatch(/PRIVATE KEY/);
      const key = createPrivateKey(await keyOf(request.id));
      expect(
        createPublicKey(key).equals(
          createPublicKey({ key: readRequest(request.csr).publicKey, format: 'der', type: 'spki' }),
        ),
      ).toBe(true);
      // The schema has no field that could carry it.
      const fields = await berth.graphql<{ __type: { fields: { name: string }[] } }>(
        '{ __type(name: "SiteCertificate") { fields { name } } }',
      );
      expect(fields.data!.__type.fields.map((f) => f.name).filter((n) => /key/i.test(n))).toEqual(
        [],
      );

      const site = await siteCertificates(siteId);
      expect(site.certificates).toEqual([request]);
      expect(JSON.stringify(site)).not.toMatch(/PRIVATE KEY/);
      expect(
        await forkEm(db.orm).find(SiteEvent, { siteId, action: 'certificate.requested' }),
      ).toMatchObject([{ actor: 'alice' }]);

      // The same idempotency key answers with the same request; with other names it is refused.
      const before = await written(siteId);
      const again = await send<{ certificate: CertificateView }>(requestMutation, {
        siteId,
        vhost: 'default',
        names: [hostname],
        idempotencyKey: 'request-1',
      });
      expect(again).toMatchObject({ certificate: { id: request.id, csr: request.csr } });
      const refusals: [Record<string, unknown>, string, string][] = [
        [
          { vhost: 'default', names: [`www.${hostname}`], idempotencyKey: 'request-1' },
          'IDEMPOTENCY_KEY_REUSED',
          'idempotencyKey',
        ],
        [{ vhost: 'default', names: [hostname] }, 'CERTIFICATE_REQUEST_PENDING', 'vhost'],
        [{ vhost: 'default', names: ['www.example.org'] }, 'CERTIFICATE_NAME_NOT_SERVED', 'names'],
        [{ vhost: 'shop', names: ['shop.example.org'] }, 'VHOST_NOT_FOUND', 'name'],
      ];
      for (const [input, code, field] of refusals) {
        const refused = await send(requestMutation, { siteId, ...input });
        expect(refused, JSON.stringify(input)).toMatchObject({ code, field });
        expect(await written(siteId)).toEqual(before);
      }
    },
  );

  it.skipIf(skip)(
    'installs an uploaded certificate and its chain with a configuration run, and renews it',
    async () => {
      const { siteId, hostname } = await readySite();
      const names = [`shop.${hostname}`, `www.shop.${hostname}`];
      const added = await send<{ operation: { id: string } }>(addVhostMutation, {
        siteId,
        name: 'shop',
        serverName: names[0],
        aliases: [{ name: names[1] }],
      });
      if (!('operation' in added)) throw new Error(JSON.stringify(added));
      expect(await finished(added.operation.id)).toBe('SUCCEEDED');
      await statusOf(siteId, 'READY');

      const first = await requested({ siteId, vhost: 'shop', names });
      const leaf = await aLeaf({ issuer: intermediate, publicKey: first.csr, names });
      const runsBefore = await forkEm(db.orm).count(ConfigurationRun, { siteId });
      // The chain as some CAs send it: root first.
      const upload = await installed({
        siteId,
        certificateId: first.id,
        certificate: leaf,
        chain: `${root.pem}\n${intermediate.pem}`,
      });
      expect(upload.certificate).toMatchObject({
        id: first.id,
        status: 'ACTIVE',
        issuer: 'CN=Berth Test CA Intermediate',
        notAfter: new x509.X509Certificate(leaf).notAfter.toISOString(),
      });
      // Stored in path order: the leaf's issuer first.
      expect(upload.certificate.chain!.trim()).toBe(
        `${intermediate.pem.trim()}\n${root.pem.trim()}`,
      );
      // The upload's configuration run ran, and the run's data installs it for the vhost.
      const runs = await forkEm(db.orm).find(ConfigurationRun, {
        siteId,
        operationId: upload.operation.id,
      });
      expect(runs.map((run) => run.status)).toEqual(['succeeded']);
      expect(await forkEm(db.orm).count(ConfigurationRun, { siteId })).toBe(runsBefore + 1);
      const run = await runData(siteId);
      expect(run.vars.berth.vhosts.map((v) => [v.name, v.tls])).toEqual([
        ['default', false],
        ['shop', true],
      ]);
      const tls = run.secrets.berth_secrets.tls;
      expect(Object.keys(tls)).toEqual(['shop']);
      expect(tls.shop!.certificate.trim()).toBe(leaf.trim());
      expect(tls.shop!.chain).toBe(upload.certificate.chain);
      expect(tls.shop!.key).toBe(await keyOf(first.id));
      expect(
        createPublicKey(createPrivateKey(tls.shop!.key)).equals(
          createPublicKey(new x509.X509Certificate(leaf).toString('pem')),
        ),
      ).toBe(true);
      expect(
        await forkEm(db.orm).find(SiteEvent, { siteId, action: 'certificate.uploaded' }),
      ).toMatchObject([{ actor: 'alice' }]);

      // Renewal: a new key and request for the vhost; its certificate replaces the first.
      const second = await requested({ siteId, vhost: 'shop', names });
      expect(second.csr).not.toBe(first.csr);
      const renewed = await aLeaf({ issuer: intermediate, publicKey: second.csr, names });
      await installed({
        siteId,
        certificateId: second.id,
        certificate: renewed,
        chain: intermediate.pem,
      });
      const statuses = Object.fromEntries(
        (await siteCertificates(siteId)).certificates.map((c) => [c.id, c.status]),
      );
      expect(statuses).toEqual({ [first.id]: 'REPLACED', [second.id]: 'ACTIVE' });
      expect((await runData(siteId)).secrets.berth_secrets.tls.shop!.key).toBe(
        await keyOf(second.id),
      );

      // Removing the replaced one changes nothing on the server; removing the active one does.
      const quiet = await send<{ operation: unknown }>(removeMutation, {
        siteId,
        certificateId: first.id,
      });
      expect(quiet).toMatchObject({ certificateId: first.id, operation: null });
      const loud = await send<{ operation: { id: string } }>(removeMutation, {
        siteId,
        certificateId: second.id,
      });
      if (!('operation' in loud) || !loud.operation) throw new Error(JSON.stringify(loud));
      expect(await finished(loud.operation.id)).toBe('SUCCEEDED');
      await statusOf(siteId, 'READY');
      expect((await siteCertificates(siteId)).certificates).toEqual([]);
      const after = await runData(siteId);
      expect(after.secrets.berth_secrets.tls).toEqual({});
      expect(after.vars.berth.vhosts.map((v) => v.tls)).toEqual([false, false]);
      expect(await forkEm(db.orm).count(SiteEvent, { siteId, action: 'certificate.removed' })).toBe(
        2,
      );
    },
  );

  it.skipIf(skip)('asks for names waiting for approval, but never for a rejected one', async () => {
    const { siteId, hostname } = await readySite();
    const waiting = `${uniqueName('blog')}.example.net`;
    const refused = `${uniqueName('blog')}.example.org`;
    const added = await send<{ operation: { id: string } }>(addVhostMutation, {
      siteId,
      name: 'blog',
      serverName: `blog.${hostname}`,
      aliases: [{ name: waiting }, { name: refused }],
    });
    if (!('operation' in added)) throw new Error(JSON.stringify(added));
    expect(await finished(added.operation.id)).toBe('SUCCEEDED');
    await statusOf(siteId, 'READY');
    const names = await forkEm(db.orm).find(DomainName, { siteId }, { orderBy: { name: 'asc' } });
    expect(names.map((row) => [row.name, row.status])).toEqual(
      [
        [`blog.${hostname}`, 'approved'],
        [waiting, 'pending'],
        [refused, 'pending'],
      ].sort(([a], [b]) => a!.localeCompare(b!)),
    );
    const rejection = await berth.graphql<{ result: { __typename: string } }>(
      /* GraphQL */ `
        mutation Reject($input: RejectDomainNameInput!) {
          result: rejectDomainName(input: $input) {
            __typename
          }
        }
      `,
      { input: { id: names.find((row) => row.name === refused)!.id, reason: 'not theirs' } },
      operator,
    );
    expect(rejection.data?.result.__typename).toBe('DomainNameDecisionPayload');
    await statusOf(siteId, 'READY');

    // A name another vhost held first when names became unique (migration 20261205000300)
    // stays in the aliases with no row of this vhost; it is never served here either.
    const taken = `${uniqueName('taken')}.example.org`;
    const vhost = await forkEm(db.orm).findOneOrFail(Vhost, { siteId, name: 'blog' });
    await forkEm(db.orm).nativeUpdate(
      Vhost,
      { id: vhost.id },
      { aliases: [...vhost.aliases, taken] },
    );

    const before = await written(siteId);
    const rejectedMessage = `virtual host blog will never answer as ${refused}: the name was rejected`;
    const refusals: [string[], string][] = [
      [[refused], rejectedMessage],
      [[`blog.${hostname}`, waiting, refused], rejectedMessage],
      [[waiting, taken], `another virtual host answers as ${taken}, not blog`],
      [['elsewhere.example.org'], 'virtual host blog does not answer as elsewhere.example.org'],
    ];
    for (const [asked, message] of refusals) {
      const result = await send(requestMutation, { siteId, vhost: 'blog', names: asked });
      expect(result, asked.join()).toMatchObject({
        code: 'CERTIFICATE_NAME_NOT_SERVED',
        field: 'names',
        message,
      });
      expect(await written(siteId)).toEqual(before);
    }
    // A name still waiting may be in a request, so that TLS can follow its approval at once.
    const request = await requested({
      siteId,
      vhost: 'blog',
      names: [`blog.${hostname}`, waiting],
    });
    expect(request).toMatchObject({ status: 'REQUESTED', names: [`blog.${hostname}`, waiting] });
    expect(readRequest(request.csr).names).toEqual([`blog.${hostname}`, waiting]);
  });

  it.skipIf(skip)(
    'refuses each bad upload with its typed error, writing nothing, and then takes a good one',
    async () => {
      const { siteId, hostname } = await readySite();
      const other = await readySite();
      const names = [hostname];
      const request = await requested({ siteId, vhost: 'default', names });
      const otherRequest = await requested({
        siteId: other.siteId,
        vhost: 'default',
        names: [other.hostname],
      });
      const foreignKey = await anRsaKeyPair();
      const impostor = await aCa('Berth Test CA Intermediate', { issuer: root });
      const leaf = (options: Partial<Parameters<typeof aLeaf>[0]> = {}) =>
        aLeaf({ issuer: intermediate, publicKey: request.csr, names, ...options });
      const privateKey = await keyOf(request.id);
      const cases: [string, Record<string, unknown>, string][] = [
        [
          'a key that does not match',
          { certificate: await leaf({ publicKey: foreignKey.publicKey }), chain: intermediate.pem },
          'CERTIFICATE_KEY_MISMATCH',
        ],
        [
          'a certificate for other names',
          { certificate: await leaf({ names: [`www.${hostname}`] }), chain: intermediate.pem },
          'CERTIFICATE_NAMES_MISMATCH',
        ],
        [
          'an expired certificate',
          {
            certificate: await leaf({
              notBefore: new Date(Date.now() - days(100)),
              notAfter: new Date(Date.now() - days(1)),
            }),
            chain: intermediate.pem,
          },
          'CERTIFICATE_EXPIRED',
        ],
        [
          'a certificate not valid yet',
          {
            certificate: await leaf({ notBefore: new Date(Date.now() + days(2)) }),
            chain: intermediate.pem,
          },
          'CERTIFICATE_NOT_YET_VALID',
        ],
        [
          'a chain of another intermediate',
          { certificate: await leaf(), chain: impostor.pem },
          'CERTIFICATE_CHAIN_INVALID',
        ],
        ['garbage', { certificate: 'not a certificate at all' }, 'CERTIFICATE_MALFORMED'],
        ['the private key itself', { certificate: privateKey }, 'CERTIFICATE_MALFORMED'],
        [
          'an unknown certificate id',
          { certificateId: randomUUID(), certificate: await leaf() },
          'CERTIFICATE_NOT_FOUND',
        ],
        [
          "another site's request",
          { certificateId: otherRequest.id, certificate: await leaf() },
          'CERTIFICATE_NOT_FOUND',
        ],
      ];
      const before = await written(siteId);
      const otherBefore = await written(other.siteId);
      for (const [what, upload, code] of cases) {
        const refused = await send(uploadMutation, {
          siteId,
          certificateId: request.id,
          ...upload,
        });
        expect(refused, what).toMatchObject({ code });
        expect((refused as Refusal).message, what).not.toContain(privateKey.split('\n')[1]);
        expect(await written(siteId), what).toEqual(before);
      }
      expect(await written(other.siteId)).toEqual(otherBefore);

      const accepted = await installed({
        siteId,
        certificateId: request.id,
        certificate: await leaf(),
        chain: intermediate.pem,
      });
      expect(accepted.certificate.status).toBe('ACTIVE');
      expect((await runData(siteId)).vars.berth.vhosts[0]).toMatchObject({
        name: 'default',
        tls: true,
      });
    },
  );

  it.skipIf(skip)(
    'marks expired certificates and queues each expiry reminder once, on the schedule too',
    async () => {
      const { siteId, hostname } = await readySite();
      const now = Date.now();
      /** An active certificate of the site expiring `daysLeft` days from now. */
      async function active(daysLeft: number, status: 'active' | 'replaced' = 'active') {
        const id = randomUUID();
        const row = new SiteCertificate({
          id,
          siteId,
          vhostId: null,
          vhostName: 'default',
          names: [`n${id.slice(0, 8)}.example.org`],
          sealedKey: sealSecret(
            atRestKey(berth.config.secretKey),
            'key',
            certificateKeyContext(id),
          ),
          csr: 'csr',
          createdBy: 'alice',
        });
        row.activate({
          certificate: 'certificate',
          chain: '',
          notBefore: new Date(now - days(60)),
          notAfter: new Date(now + days(daysLeft)),
          fingerprint: randomUUID().replaceAll('-', '') + randomUUID().replaceAll('-', ''),
          issuer: 'CN=Berth Test CA',
        });
        if (status === 'replaced') row.replace();
        await forkEm(db.orm).persistAndFlush(row);
        return row;
      }
      const far = await active(40);
      const month = await active(20);
      const fortnight = await active(10);
      const days3 = await active(2);
      const expired = await active(-1);
      const replaced = await active(2, 'replaced');
      // A request waiting for its certificate has no expiry yet.
      const waiting = await requested({ siteId, vhost: 'default', names: [hostname] });

      const workflowId = uniqueName('certificate-expiry');
      const run = (id = workflowId) =>
        berth.temporal.workflow.execute(checkCertificates, {
          args: [{}],
          workflowId: id,
          taskQueue: berth.config.temporal.taskQueue,
        });
      expect(await run()).toEqual({ expired: 1, reminded: 3 });
      if (recordingHistories) {
        await recordHistory(berth, temporal.address, workflowId, 'check-certificates');
      }

      const notifications = await forkEm(db.orm).find(
        Notification,
        { siteId, kind: 'certificate-expiry' },
        { orderBy: { dedupeKey: 'asc' } },
      );
      expect(notifications.map((n) => n.dedupeKey).sort()).toEqual(
        [
          expiryKey(month, '30'),
          expiryKey(fortnight, '14'),
          expiryKey(days3, '3'),
          expiryKey(expired, 'expired'),
        ].sort(),
      );
      expect(notifications.every((n) => n.recipients === 'alice@example.org')).toBe(true);
      const reminder = notifications.find((n) => n.dedupeKey === expiryKey(fortnight, '14'))!;
      // Rendered from the notification's template, with the certificate's names and expiry.
      const expiresAt = fortnight.notAfter!.toISOString().slice(0, 16).replace('T', ' ');
      expect(reminder.subject).toContain(`expires on ${expiresAt} UTC`);
      expect(reminder.body).toContain(fortnight.names[0]);
      const statuses = Object.fromEntries(
        (await forkEm(db.orm).find(SiteCertificate, { siteId })).map((c) => [c.id, c.status]),
      );
      expect(statuses).toEqual({
        [far.id]: 'active',
        [month.id]: 'active',
        [fortnight.id]: 'active',
        [days3.id]: 'active',
        [expired.id]: 'expired',
        [replaced.id]: 'replaced',
        [waiting.id]: 'requested',
      });
      expect(
        await forkEm(db.orm).find(SiteEvent, { siteId, action: 'certificate.expired' }),
      ).toMatchObject([{ actor: 'system' }]);
      // The expired certificate stays installed until another replaces it.
      expect(Object.keys((await runData(siteId)).secrets.berth_secrets.tls)).toEqual(['default']);

      // Again: nothing new.
      expect(await run(uniqueName('certificate-expiry'))).toEqual({ expired: 0, reminded: 0 });
      expect(await forkEm(db.orm).count(Notification, { siteId, kind: 'certificate-expiry' })).toBe(
        notifications.length,
      );
      expect(await forkEm(db.orm).count(SiteEvent, { siteId, action: 'certificate.expired' })).toBe(
        1,
      );

      // The daily schedule runs the same workflow, at once when it is made.
      await ensureCertificateExpirySchedule(berth.temporal, berth.config);
      const schedule = berth.temporal.schedule.getHandle(certificateExpiryScheduleId);
      try {
        const description = await schedule.describe();
        expect(description.action).toMatchObject({
          type: 'startWorkflow',
          workflowType: 'checkCertificates',
          taskQueue: berth.config.temporal.taskQueue,
        });
        expect(description.spec.intervals).toMatchObject([{ every: days(1) }]);
        const scheduled = await eventually(
          'the schedule starting its first check',
          async () => (await schedule.describe()).info.recentActions,
          (actions) => actions.length > 0,
        );
        const started = scheduled[0]!.action.workflow;
        expect(
          await berth.temporal.workflow
            .getHandle(started.workflowId, started.firstExecutionRunId)
            .result(),
        ).toEqual({ expired: 0, reminded: 0 });
      } finally {
        await schedule.delete();
      }
    },
  );
});
