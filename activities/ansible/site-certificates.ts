import { type Em } from '../../libs/db/orm';
import {
  certificateKeyContext,
  installedCertificateStatuses,
  SiteCertificate,
} from '../../libs/domain';
import { atRestKey, openSecret } from '../keys/secret-box';

/** A virtual host a run configures: its row's id, or null for the default virtual host. */
export interface CertificateHolder {
  id: string | null;
  name: string;
}

/**
 * The secrets file's `tls` entries of a run: for each virtual host that has one, its installed
 * certificate (active, or expired and not yet replaced), its chain, and its key opened from the
 * database. A certificate counts only for the vhost row it was requested for, so a vhost removed
 * and added again under the same name does not get the old one. A key that does not open fails
 * the run: going ahead without it would silently take HTTPS off the vhost.
 */
export async function installedCertificates(
  em: Em,
  secretKey: Buffer,
  siteId: string,
  vhosts: readonly CertificateHolder[],
): Promise<Record<string, { key: string; certificate: string; chain: string }>> {
  const rows = await em.find(
    SiteCertificate,
    { siteId, status: { $in: [...installedCertificateStatuses] } },
    // Newest upload first: if two were ever installed for one vhost, the newer one wins.
    { populate: ['sealedKey'], orderBy: { updatedAt: 'desc', id: 'asc' } },
  );
  const tls: Record<string, { key: string; certificate: string; chain: string }> = {};
  for (const vhost of vhosts) {
    const row = rows.find((r) => r.vhostName === vhost.name && r.vhostId === vhost.id);
    if (!row?.certificate || Object.hasOwn(tls, vhost.name)) continue;
    tls[vhost.name] = {
      key: openSecret(atRestKey(secretKey), row.sealedKey, certificateKeyContext(row.id)),
      certificate: row.certificate,
      chain: row.chain ?? '',
    };
  }
  return tls;
}
