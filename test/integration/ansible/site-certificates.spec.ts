import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedCertificates } from '../../../activities/ansible/site-certificates';
import { atRestKey, sealSecret, SecretBoxError } from '../../../activities/keys/secret-box';
import { forkEm } from '../../../libs/db/orm';
import {
  certificateKeyContext,
  type CertificateStatus,
  SiteCertificate,
} from '../../../libs/domain';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../../helpers/databases';

const secretKey = randomBytes(32);

/**
 * Which certificate a configuration run installs on each virtual host: the installed one
 * (active, or expired and not replaced) requested for that very vhost row, with its key opened
 * from the database.
 */
describe.each(databaseKinds)("a site's certificates in its configuration data on %s", (kind) => {
  const skip = databaseUnavailable(kind);
  let db: TestDatabase;

  beforeAll(async () => {
    if (!skip) db = await startDatabase(kind);
  });
  afterAll(async () => {
    await db?.stop();
  });

  /** A certificate row of `siteId` for the vhost, in `status`, whose key is `key-<label>`. */
  async function aCertificate(
    siteId: string,
    vhost: { id: string | null; name: string },
    status: CertificateStatus,
    label: string,
    sealedWith = secretKey,
  ): Promise<SiteCertificate> {
    const id = randomUUID();
    const row = new SiteCertificate({
      id,
      siteId,
      vhostId: vhost.id,
      vhostName: vhost.name,
      names: [`${label}.example.org`],
      sealedKey: sealSecret(atRestKey(sealedWith), `key-${label}`, certificateKeyContext(id)),
      csr: `csr-${label}`,
      createdBy: 'alice',
    });
    if (status !== 'requested') {
      row.activate({
        certificate: `certificate-${label}`,
        chain: `chain-${label}`,
        notBefore: new Date(),
        notAfter: new Date(Date.now() + 86_400_000),
        fingerprint: label.padEnd(64, '0'),
        issuer: 'CN=Test',
      });
      if (status === 'expired') row.expire();
      if (status === 'replaced') row.replace();
    }
    await forkEm(db.orm).persistAndFlush(row);
    return row;
  }

  it.skipIf(skip)(
    'installs each vhost its own certificate and key, expired ones too, never a replaced one',
    async () => {
      const siteId = randomUUID();
      const shop = { id: randomUUID(), name: 'shop' };
      const blog = { id: randomUUID(), name: 'blog' };
      const wiki = { id: randomUUID(), name: 'wiki' };
      await aCertificate(siteId, { id: null, name: 'default' }, 'active', 'default');
      await aCertificate(siteId, shop, 'replaced', 'shop-old');
      await aCertificate(siteId, shop, 'active', 'shop');
      await aCertificate(siteId, blog, 'expired', 'blog');
      await aCertificate(siteId, wiki, 'requested', 'wiki');
      // Another site's certificate for a vhost of the same name.
      await aCertificate(randomUUID(), { id: randomUUID(), name: 'shop' }, 'active', 'elsewhere');

      const tls = await installedCertificates(forkEm(db.orm), secretKey, siteId, [
        { id: null, name: 'default' },
        shop,
        blog,
        wiki,
      ]);
      expect(tls).toEqual({
        default: { key: 'key-default', certificate: 'certificate-default', chain: 'chain-default' },
        shop: { key: 'key-shop', certificate: 'certificate-shop', chain: 'chain-shop' },
        blog: { key: 'key-blog', certificate: 'certificate-blog', chain: 'chain-blog' },
      });
    },
  );

  it.skipIf(skip)(
    'gives a vhost removed and added again under the same name none of the old certificates',
    async () => {
      const siteId = randomUUID();
      await aCertificate(siteId, { id: randomUUID(), name: 'shop' }, 'active', 'gone');
      const tls = await installedCertificates(forkEm(db.orm), secretKey, siteId, [
        { id: null, name: 'default' },
        { id: randomUUID(), name: 'shop' },
      ]);
      expect(tls).toEqual({});
    },
  );

  it.skipIf(skip)('fails rather than install a certificate whose key does not open', async () => {
    const siteId = randomUUID();
    const shop = { id: randomUUID(), name: 'shop' };
    await aCertificate(siteId, shop, 'active', 'other-key', randomBytes(32));
    await expect(installedCertificates(forkEm(db.orm), secretKey, siteId, [shop])).rejects.toThrow(
      SecretBoxError,
    );
  });
});
