import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { createHash, randomUUID } from 'node:crypto';
import { atRestKey, sealSecret } from '../../../activities/keys/secret-box';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { type Em, forkEm, type Orm } from '../../../libs/db/orm';
import {
  certificateKeyContext,
  DomainName,
  installedCertificateStatuses,
  NetworkConfig,
  Site,
  SiteCertificate,
  SiteEvent,
  Vhost,
} from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';
import {
  CertificateError,
  type CheckedCertificate,
  checkCertificate,
  generateKeyAndRequest,
} from '../../../libs/tls';
import { IdempotencyKeyReusedError } from '../graphql/user-error';
import {
  IllegalTransitionError,
  SiteNotFoundError,
  SiteOperationPayload,
  type SiteOperationResult,
} from '../sites/change-site.payload';
import { VhostNotFoundError } from '../sites/site-config.payload';
import { requestScoped } from '../graphql/request-scoped';
import { SiteChangesService } from '../sites/site-changes.service';
import { BERTH_CONFIG, LOGGER, ORM } from '../tokens';
import { type SiteCertificateModel, toCertificateModel } from './certificate.model';
import {
  type RemoveCertificateInput,
  type RequestCertificateInput,
  type UploadCertificateInput,
} from './certificate.inputs';
import {
  CertificateNameNotServedError,
  CertificateNotFoundError,
  CertificateRequestPendingError,
  certificateRejections,
  RemoveCertificatePayload,
  RequestCertificatePayload,
  type RemoveCertificateResult,
  type RequestCertificateResult,
  UploadCertificatePayload,
  type UploadCertificateResult,
} from './certificate.payload';

/**
 * Sites' TLS certificates. A request makes the key and the CSR here, in the api (the key is
 * sealed at once and never leaves Berth but for the site's own server); an upload is checked
 * against the request (libs/tls) and, once written as the site's intent, asks the site workflow
 * for a configuration run that installs it, as the site's other configuration changes do. A
 * refused check, or a run the workflow refuses, leaves nothing changed.
 */
@Injectable()
export class CertificatesService {
  /** Site.certificates of the sites of one GraphQL request, one query for all of them. */
  private readonly loader = requestScoped(
    () =>
      new DataLoader<string, SiteCertificateModel[]>(async (siteIds) => {
        const rows = await forkEm(this.orm).find(
          SiteCertificate,
          { siteId: { $in: [...new Set(siteIds)] } },
          { orderBy: { createdAt: 'desc', id: 'asc' } },
        );
        return siteIds.map((id) =>
          rows.filter((row) => row.siteId === id).map((row) => toCertificateModel(row)),
        );
      }),
  );

  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly changes: SiteChangesService,
  ) {}

  async request(
    principal: Principal,
    input: RequestCertificateInput,
  ): Promise<RequestCertificateResult> {
    const names = [...new Set(input.names)];
    const em = forkEm(this.orm);
    const site = await em.findOne(Site, input.siteId);
    if (!site) return new SiteNotFoundError('no such site');
    if (site.status === 'deleted') return new IllegalTransitionError('the site is deleted');
    if (input.idempotencyKey) {
      const earlier = await em.findOne(SiteCertificate, {
        siteId: site.id,
        idempotencyKey: input.idempotencyKey,
      });
      if (earlier) return repeatedRequest(earlier, input.vhost, names);
    }
    const vhost = await servedBy(em, site.id, input.vhost);
    if (!vhost) return new VhostNotFoundError(`the site has no virtual host named ${input.vhost}`);
    const refusal = unservedNames(input.vhost, names, vhost);
    if (refusal) return refusal;
    if (await em.findOne(SiteCertificate, { siteId: site.id, pendingVhost: input.vhost })) {
      return pendingError(input.vhost);
    }

    const { privateKeyPem, csrPem } = await generateKeyAndRequest(names);
    const id = randomUUID();
    const certificate = new SiteCertificate({
      id,
      siteId: site.id,
      vhostId: vhost.id,
      vhostName: input.vhost,
      names,
      sealedKey: sealSecret(
        atRestKey(this.config.secretKey),
        privateKeyPem,
        certificateKeyContext(id),
      ),
      csr: csrPem,
      createdBy: principal.userId,
      idempotencyKey: input.idempotencyKey ?? null,
    });
    const write = forkEm(this.orm);
    write.persist(certificate);
    write.persist(
      new SiteEvent({
        siteId: site.id,
        actor: principal.userId,
        action: 'certificate.requested',
        summary: summary(`certificate requested for virtual host ${input.vhost}`, names, principal),
        dedupeKey: `certificate.requested/${id}`,
      }),
    );
    try {
      // One transaction: the request and its audit event, or neither.
      await write.flush();
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // A concurrent request won: the same one retried (its key), or another for the vhost.
      if (input.idempotencyKey) {
        const raced = await forkEm(this.orm).findOne(SiteCertificate, {
          siteId: site.id,
          idempotencyKey: input.idempotencyKey,
        });
        if (raced) return repeatedRequest(raced, input.vhost, names);
      }
      return pendingError(input.vhost);
    }
    this.log.info(
      { siteId: site.id, certificateId: id, vhost: input.vhost },
      'certificate requested',
    );
    return Object.assign(new RequestCertificatePayload(), {
      certificate: toCertificateModel(certificate),
    });
  }

  async upload(
    principal: Principal,
    input: UploadCertificateInput,
  ): Promise<UploadCertificateResult> {
    const request = {
      change: 'upload-certificate',
      certificateId: input.certificateId,
      upload: createHash('sha256')
        .update(input.certificate)
        .update('\0')
        .update(input.chain ?? '')
        .digest('hex'),
    };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return this.uploaded(repeat, input.certificateId);

    const em = forkEm(this.orm);
    const row = await em.findOne(SiteCertificate, {
      id: input.certificateId,
      siteId: input.siteId,
    });
    if (!row) return new CertificateNotFoundError('the site has no such certificate');
    if (
      row.vhostId !== null &&
      !(await em.findOne(Vhost, { id: row.vhostId, siteId: row.siteId }))
    ) {
      return new VhostNotFoundError(
        `virtual host ${row.vhostName}, which this certificate was requested for, was removed`,
      );
    }
    let checked: CheckedCertificate;
    try {
      checked = await checkCertificate(
        { certificate: input.certificate, chain: input.chain },
        { csr: row.csr, names: row.names },
        new Date(),
      );
    } catch (error) {
      if (!(error instanceof CertificateError)) throw error;
      this.log.info(
        { siteId: row.siteId, certificateId: row.id, code: error.code },
        'certificate upload refused',
      );
      return new certificateRejections[error.code](error.message);
    }

    const undo = await this.activate(row, checked);
    const result = await this.changes.configureChange(principal, input, request, {
      undo,
      action: 'certificate.uploaded',
      summary: summary(
        `certificate for virtual host ${row.vhostName} uploaded (issued by ${checked.issuer}, expires ${checked.notAfter.toISOString()})`,
        [],
        principal,
      ),
    });
    return this.uploaded(result, row.id);
  }

  async remove(
    principal: Principal,
    input: RemoveCertificateInput,
  ): Promise<RemoveCertificateResult> {
    const request = { change: 'remove-certificate', certificateId: input.certificateId };
    const repeat = await this.changes.repeatedConfiguration(principal, input, request);
    if (repeat) return removed(repeat, input.certificateId);

    const em = forkEm(this.orm);
    const row = await em.findOne(
      SiteCertificate,
      { id: input.certificateId, siteId: input.siteId },
      { populate: ['sealedKey'] },
    );
    if (!row) return new CertificateNotFoundError('the site has no such certificate');
    const installed =
      installedCertificateStatuses.includes(row.status) &&
      (row.vhostId === null || (await em.findOne(Vhost, { id: row.vhostId })) !== null);
    await em.nativeDelete(SiteCertificate, { id: row.id });
    const what = summary(
      `${row.status} certificate of virtual host ${row.vhostName} removed`,
      row.names,
      principal,
    );
    if (!installed) {
      // Nothing on the server to change: no configuration run.
      await forkEm(this.orm).persistAndFlush(
        new SiteEvent({
          siteId: row.siteId,
          actor: principal.userId,
          action: 'certificate.removed',
          summary: what,
          dedupeKey: `certificate.removed/${row.id}`,
        }),
      );
      return Object.assign(new RemoveCertificatePayload(), {
        certificateId: row.id,
        operation: null,
      });
    }
    const result = await this.changes.configureChange(principal, input, request, {
      undo: () => forkEm(this.orm).persistAndFlush(copyOf(row)),
      action: 'certificate.removed',
      summary: what,
    });
    return removed(result, row.id);
  }

  /** A site's certificates, batched with the other sites of the same request. */
  certificatesOf(context: object, siteId: string): Promise<SiteCertificateModel[]> {
    return this.loader(context, undefined).load(siteId);
  }

  /**
   * Makes the certificate its vhost's active one, replacing the one installed before, in one
   * transaction; returns what puts both back.
   */
  private async activate(
    row: SiteCertificate,
    checked: CheckedCertificate,
  ): Promise<() => Promise<unknown>> {
    const before: { id: string; fields: Partial<SiteCertificate> }[] = [];
    await forkEm(this.orm).transactional(async (em) => {
      const target = await em.findOneOrFail(SiteCertificate, row.id);
      const installed = await em.find(SiteCertificate, {
        siteId: row.siteId,
        vhostName: row.vhostName,
        status: { $in: [...installedCertificateStatuses] },
        id: { $ne: row.id },
      });
      for (const certificate of [target, ...installed]) {
        before.push({ id: certificate.id, fields: stateOf(certificate) });
      }
      for (const certificate of installed) certificate.replace();
      target.activate(checked);
    });
    return async () => {
      for (const { id, fields } of before) {
        await forkEm(this.orm).nativeUpdate(SiteCertificate, { id }, fields);
      }
    };
  }

  private async uploaded(
    result: SiteOperationResult,
    certificateId: string,
  ): Promise<UploadCertificateResult> {
    if (!(result instanceof SiteOperationPayload)) return result;
    const row = await forkEm(this.orm).findOne(SiteCertificate, certificateId);
    if (!row) return new CertificateNotFoundError('the certificate was removed since');
    return Object.assign(new UploadCertificatePayload(), {
      certificate: toCertificateModel(row),
      operation: result.operation,
    });
  }
}

/** A vhost's names as a certificate request sees them. */
interface VhostNames {
  /** The vhost's row id; null for the default vhost. */
  id: string | null;
  /** Names a certificate may carry: served, or waiting for an operator's approval. */
  names: string[];
  /** Names on the vhost an operator rejected. */
  rejected: string[];
  /** Names on the vhost that another vhost answers as (it held them first; they have no row). */
  taken: string[];
}

/**
 * The site's vhost of that name and its names, or undefined if it has none. A name waiting for
 * approval may be asked for, so that TLS can follow approval at once; a rejected or taken one is
 * never served, so it may not. A certificate already requested is not refused at upload when a
 * name is rejected later: that name is not served either way, and the CA has checked who holds it.
 */
async function servedBy(em: Em, siteId: string, vhost: string): Promise<VhostNames | undefined> {
  if (vhost === 'default') {
    // The default vhost answers as the server's host name, once the site has a server.
    const network = await em.findOne(
      NetworkConfig,
      { siteId },
      { orderBy: { allocatedAt: 'asc' } },
    );
    return { id: null, names: network ? [network.hostname] : [], rejected: [], taken: [] };
  }
  const row = await em.findOne(Vhost, { siteId, name: vhost });
  if (!row) return undefined;
  const rows = await em.find(
    DomainName,
    { siteId, vhostId: row.id },
    { fields: ['name', 'status'] },
  );
  const status = new Map(rows.map((name) => [name.name, name.status]));
  const names = [row.serverName, ...row.aliases];
  return {
    id: row.id,
    names: names.filter(
      (name) => status.get(name) === 'approved' || status.get(name) === 'pending',
    ),
    rejected: names.filter((name) => status.get(name) === 'rejected'),
    taken: names.filter((name) => !status.has(name)),
  };
}

/** Why a certificate for these names of the vhost cannot be asked for, if it cannot. */
function unservedNames(
  vhost: string,
  asked: readonly string[],
  served: VhostNames,
): CertificateNameNotServedError | undefined {
  const among = (list: readonly string[]) => asked.filter((name) => list.includes(name));
  const [rejected, taken] = [among(served.rejected), among(served.taken)];
  const elsewhere = asked.filter(
    (name) => !served.names.includes(name) && !rejected.includes(name) && !taken.includes(name),
  );
  if (elsewhere.length > 0) {
    return new CertificateNameNotServedError(
      `virtual host ${vhost} does not answer as ${listed(elsewhere)}`,
    );
  }
  if (taken.length > 0) {
    return new CertificateNameNotServedError(
      `another virtual host answers as ${listed(taken)}, not ${vhost}`,
    );
  }
  if (rejected.length > 0) {
    return new CertificateNameNotServedError(
      `virtual host ${vhost} will never answer as ${listed(rejected)}: ` +
        `${rejected.length === 1 ? 'the name was' : 'the names were'} rejected`,
    );
  }
  return undefined;
}

function repeatedRequest(
  earlier: SiteCertificate,
  vhost: string,
  names: string[],
): RequestCertificatePayload | IdempotencyKeyReusedError {
  if (earlier.vhostName !== vhost || JSON.stringify(earlier.names) !== JSON.stringify(names)) {
    return new IdempotencyKeyReusedError(
      'this idempotency key was used for a different request',
      'idempotencyKey',
    );
  }
  return Object.assign(new RequestCertificatePayload(), {
    certificate: toCertificateModel(earlier),
  });
}

function pendingError(vhost: string): CertificateRequestPendingError {
  return new CertificateRequestPendingError(
    `virtual host ${vhost} has a certificate request waiting for its certificate`,
  );
}

function removed(result: SiteOperationResult, certificateId: string): RemoveCertificateResult {
  if (!(result instanceof SiteOperationPayload)) return result;
  return Object.assign(new RemoveCertificatePayload(), {
    certificateId,
    operation: result.operation,
  });
}

/** What an upload changes, to put back if the run is refused. */
function stateOf(certificate: SiteCertificate): Partial<SiteCertificate> {
  return {
    status: certificate.status,
    certificate: certificate.certificate,
    chain: certificate.chain,
    issuer: certificate.issuer,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    fingerprint: certificate.fingerprint,
    pendingVhost: certificate.pendingVhost,
  };
}

/** A deleted row made anew with its fields (its sealed key included), to put back. */
function copyOf(row: SiteCertificate): SiteCertificate {
  const copy = new SiteCertificate({
    id: row.id,
    siteId: row.siteId,
    vhostId: row.vhostId,
    vhostName: row.vhostName,
    names: [...row.names],
    sealedKey: row.sealedKey,
    csr: row.csr,
    createdBy: row.createdBy,
    idempotencyKey: row.idempotencyKey,
  });
  Object.assign(copy, stateOf(row), { createdAt: row.createdAt, updatedAt: row.updatedAt });
  return copy;
}

/** Up to five names, then how many more. */
function listed(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/** An audit summary within site_event.summary's 500 characters, names as many as fit. */
function summary(what: string, names: readonly string[], principal: Principal): string {
  const by = ` by ${principal.userId}`;
  const full = names.length ? `${what} (${names.join(', ')})${by}` : `${what}${by}`;
  if (full.length <= 500) return full;
  const counted = names.length ? `${what} (${names.length} names)${by}` : `${what}${by}`;
  return counted.length <= 500 ? counted : `${counted.slice(0, 497)}...`;
}
