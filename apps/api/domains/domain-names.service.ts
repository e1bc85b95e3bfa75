import { Inject, Injectable } from '@nestjs/common';
import { type Principal } from '../../../libs/auth/principal';
import { type Em, forkEm, type Orm } from '../../../libs/db/orm';
import {
  DomainName,
  DomainNameAlreadyDecidedError,
  type DomainNameDecision,
  Site,
  SiteEvent,
  Vhost,
} from '../../../libs/domain';
import { badUserInput } from '../graphql/graphql-errors';
import { SiteOperationPayload } from '../sites/change-site.payload';
import { decodeChildCursor, encodeChildCursor } from '../sites/site-cursor';
import { SiteChangesService } from '../sites/site-changes.service';
import { ORM } from '../tokens';
import { type ApproveDomainNameInput, type RejectDomainNameInput } from './domain-name.inputs';
import {
  type DomainNameConnection,
  type DomainNameModel,
  type DomainNameStatusEnum,
} from './domain-name.model';
import {
  DomainAlreadyDecidedError,
  DomainNameDecisionPayload,
  type DomainNameDecisionResult,
  DomainNotFoundError,
} from './domain-name.payload';
import { queueApprovalGiven, queueRejection } from './domain-notifications';

/**
 * Operators' decisions on the names sites' admins added outside the organisation's zones. A
 * decision is taken once: a guarded update (`where status = 'pending'`) lets one of two
 * concurrent decisions through. An approval asks the site's workflow for a configuration run,
 * which serves the name; a rejection changes nothing on the server. Each decision is audited on
 * the site, and an approval notified to its people, in one transaction.
 */
@Injectable()
export class DomainNamesService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    private readonly changes: SiteChangesService,
  ) {}

  /** Names waiting for a decision, oldest request first. */
  async pending(first: number, after: string | undefined): Promise<DomainNameConnection> {
    const position = after ? cursorPosition(decodeChildCursor(after, 'domain-name')) : undefined;
    const em = forkEm(this.orm);
    const rows = await em.find(
      DomainName,
      {
        status: 'pending',
        ...(position
          ? {
              $or: [
                { requestedAt: { $gt: position.at } },
                { requestedAt: position.at, id: { $gt: position.id } },
              ],
            }
          : {}),
      },
      { orderBy: { requestedAt: 'asc', id: 'asc' }, limit: first + 1 },
    );
    const page = rows.slice(0, first);
    const vhosts = await vhostNamesOf(em, page);
    const edges = page.map((row) => ({
      cursor: encodeChildCursor('domain-name', `${row.requestedAt.getTime()}/${row.id}`),
      node: toDomainNameModel(row, vhosts.get(row.vhostId) ?? ''),
    }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  async approve(
    principal: Principal,
    input: ApproveDomainNameInput,
  ): Promise<DomainNameDecisionResult> {
    const decided = await this.decide(principal, input.id, 'approved', null);
    if (!(decided instanceof DomainName)) return decided;
    let result;
    try {
      result = await this.changes.change(principal, decided.siteId, { kind: 'configure' }, null, {
        change: 'approve-domain-name',
        id: decided.id,
      });
    } catch (error) {
      // The workflow engine could not take the run: the approval is taken back, so the operator's
      // retry finds the name pending, as if nothing happened.
      await forkEm(this.orm).nativeUpdate(
        DomainName,
        { id: decided.id, status: 'approved' },
        { status: 'pending', decidedBy: null, decidedAt: null, reason: null },
      );
      throw error;
    }
    // A site whose status takes no configuration now (disabled, suspended) keeps the approval:
    // the run that brings it back serves the name.
    const operation = result instanceof SiteOperationPayload ? result.operation : null;
    await this.audit(principal, decided, `${decided.name} approved by ${principal.userId}`);
    return this.payload(decided, operation);
  }

  async reject(
    principal: Principal,
    input: RejectDomainNameInput,
  ): Promise<DomainNameDecisionResult> {
    const decided = await this.decide(principal, input.id, 'rejected', input.reason);
    if (!(decided instanceof DomainName)) return decided;
    await this.audit(
      principal,
      decided,
      `${decided.name} rejected by ${principal.userId}: ${input.reason}`,
    );
    return this.payload(decided, null);
  }

  /** The name with the decision written, or why it could not be. */
  private async decide(
    principal: Principal,
    id: string,
    decision: DomainNameDecision,
    reason: string | null,
  ): Promise<DomainName | DomainNotFoundError | DomainAlreadyDecidedError> {
    const name = await forkEm(this.orm).findOne(DomainName, id, { disableIdentityMap: true });
    if (!name) return new DomainNotFoundError('no such domain name');
    let change;
    try {
      change = name.decide(decision, principal.userId, reason);
    } catch (error) {
      if (!(error instanceof DomainNameAlreadyDecidedError)) throw error;
      return new DomainAlreadyDecidedError(`${name.name} was ${error.status} already`);
    }
    const written = await forkEm(this.orm).nativeUpdate(
      DomainName,
      { id, status: 'pending' },
      change,
    );
    if (written === 1) return name;
    // Decided, or removed with its virtual host, since it was read.
    const now = await forkEm(this.orm).findOne(DomainName, id, { disableIdentityMap: true });
    return now
      ? new DomainAlreadyDecidedError(`${now.name} was ${now.status} already`)
      : new DomainNotFoundError('no such domain name');
  }

  /** The site's audit event and the note to its people, in one transaction. */
  private async audit(principal: Principal, name: DomainName, summary: string): Promise<void> {
    const em = forkEm(this.orm);
    const site = await em.findOne(Site, name.siteId, {
      fields: ['name'],
      disableIdentityMap: true,
    });
    const action = `domain.${name.status}`;
    em.persist(
      new SiteEvent({
        siteId: name.siteId,
        actor: principal.userId,
        action,
        // site_event.summary is varchar(500): a 253-character name and a 500-character reason
        // do not always fit, and the whole reason is on the name's row.
        summary: summary.length <= 500 ? summary : `${summary.slice(0, 499)}…`,
        dedupeKey: `${action}/${name.id}`,
      }),
    );
    const siteName = site?.name ?? name.siteId;
    if (name.status === 'approved') {
      await queueApprovalGiven(em, name, siteName, principal.userId);
    } else if (name.status === 'rejected') {
      await queueRejection(em, name, siteName, principal.userId);
    }
    await em.flush();
  }

  private async payload(
    name: DomainName,
    operation: SiteOperationPayload['operation'] | null,
  ): Promise<DomainNameDecisionPayload> {
    const vhosts = await vhostNamesOf(forkEm(this.orm), [name]);
    return Object.assign(new DomainNameDecisionPayload(), {
      domainName: toDomainNameModel(name, vhosts.get(name.vhostId) ?? ''),
      operation,
    });
  }
}

export function toDomainNameModel(row: DomainName, vhost: string): DomainNameModel {
  return {
    id: row.id,
    siteId: row.siteId,
    vhost,
    name: row.name,
    status: row.status as DomainNameStatusEnum,
    requestedBy: row.requestedBy,
    requestedAt: row.requestedAt,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt,
    reason: row.reason,
  };
}

/** The names of the rows' virtual hosts, by vhost id, in one query. */
async function vhostNamesOf(em: Em, rows: DomainName[]): Promise<Map<string, string>> {
  if (rows.length === 0) return new Map();
  const vhosts = await em.find(
    Vhost,
    { id: { $in: [...new Set(rows.map((row) => row.vhostId))] } },
    { fields: ['name'], disableIdentityMap: true },
  );
  return new Map(vhosts.map((vhost) => [vhost.id, vhost.name]));
}

/** `<epoch ms>/<id>` as encoded above; anything else is not a cursor of this list. */
function cursorPosition(text: string): { at: Date; id: string } {
  const [at, id] = text.split('/');
  if (!at || !id || !/^\d{1,15}$/.test(at)) {
    throw badUserInput([{ field: 'after', message: 'not a cursor this API returned' }]);
  }
  return { at: new Date(Number(at)), id };
}
