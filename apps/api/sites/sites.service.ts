import { GraphQLError } from 'graphql';
import { recordSiteRequested } from '../../../activities/records/site-requested';
import { type FilterQuery, UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { type Client } from '@temporalio/client';
import { createHash, randomUUID } from 'node:crypto';
import { type BerthConfig } from '../../../libs/config';
import { type Em, type Orm, forkEm, sqlConnection } from '../../../libs/db/orm';
import {
  NetworkConfig,
  Operation,
  type OperationStatus,
  Site,
  SiteEvent,
  SiteRole,
  type SiteStatus,
  Vm,
} from '../../../libs/domain';
import { siteWorkflowId } from '../../../libs/temporal/names';
import {
  defaultPool,
  siteWorkflowState,
  startSiteWorkflow,
} from '../../../libs/temporal/site-start';
import { type Logger } from '../../../libs/logger';
import { type HostnamePattern, parseHostnamePattern } from '../../../libs/network/hostnames';
import { freeAddresses } from '../../../libs/network/pool-usage';
import { type Principal } from '../../../libs/auth/principal';
import { badUserInput, serviceUnavailable } from '../graphql/graphql-errors';
import { BatchedWatch, chunks } from '../graphql/watch';
import { operationPage } from '../operations/operation-page';
import {
  HostnameTakenError,
  IdempotencyKeyReusedError,
  SiteNameTakenError,
} from '../graphql/user-error';
import { BERTH_CONFIG, LOGGER, ORM, TEMPORAL_CLIENT } from '../tokens';
import { type RequestSiteInput } from './request-site.input';
import {
  AddressPoolExhaustedError,
  RequestSitePayload,
  type RequestSiteResult,
} from './request-site.payload';
import { decodeSiteCursor, encodeSiteCursor, type SiteOrder } from './site-cursor';
import { type SiteFields, toOperationModel, toSiteEventModel, toSiteModel } from './site.mapper';

import { type SiteConnection, type SiteModel } from './site.model';
import { siteCount, siteFromListRow, siteListPage, type SiteListRow } from './site-list-query';
import { SiteStatusEnum } from './site-status.enum';

interface NormalisedRequest {
  name: string;
  description: string;
  contactEmail: string;
  hostname: string | null;
  billingReference: string | null;
}

/**
 * Site requests and reads. A request writes the site and its provisioning operation, then starts
 * the site workflow; if the workflow cannot be started, the rows are removed again, so a failed
 * request leaves nothing behind. Requests with an idempotency key are safe to repeat.
 */
@Injectable()
export class SitesService {
  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(ORM) private readonly orm: Orm,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    const hostnames = parseHostnamePattern(config.network.hostnamePattern);
    if (typeof hostnames === 'string') throw new Error(`BERTH_HOSTNAME_PATTERN ${hostnames}`);
    this.hostnames = hostnames;
    this.siteFeed = new BatchedWatch({
      readMany: (ids) => this.getSites(ids),
      intervalMs: config.api.subscriptionPollMs,
      onError: (error) => log.warn({ err: error }, 'reading watched sites failed; retrying'),
    });
  }

  /** Names the allocator makes; a requester may not choose one. */
  private readonly hostnames: HostnamePattern;

  /** Sites followed by subscriptions, read together once per interval. */
  private readonly siteFeed: BatchedWatch<SiteModel>;

  /** The site each time its status changes, until it is deleted or gone. */
  followSiteStatus(id: string): AsyncGenerator<SiteModel> {
    return this.siteFeed.follow(id, {
      version: (site) => site.status,
      done: (site) => site.status === SiteStatusEnum.DELETED,
    });
  }

  async requestSite(principal: Principal, input: RequestSiteInput): Promise<RequestSiteResult> {
    const request = this.normalise(input);
    const fingerprint = createHash('sha256').update(JSON.stringify(request)).digest('hex');
    const key = input.idempotencyKey ?? null;
    const em = forkEm(this.orm);

    if (key !== null) {
      const existing = await em.findOne(Site, { owner: principal.userId, idempotencyKey: key });
      if (existing) return this.repeat(existing, fingerprint);
    }
    const conflict = await this.findConflict(em, request);
    if (conflict) return conflict;
    const exhausted = await this.addressesExhausted(em, request);
    if (exhausted) return exhausted;

    const site = new Site({
      id: randomUUID(),
      name: request.name,
      description: request.description,
      owner: principal.userId,
      contactEmail: request.contactEmail,
      hostnameLabel: request.hostname,
      idempotencyKey: key,
      requestFingerprint: fingerprint,
      billingReference: request.billingReference,
    });
    const operation = new Operation({
      id: randomUUID(),
      siteId: site.id,
      kind: 'provision',
      workflowId: siteWorkflowId(site.id),
    });
    try {
      // The requester administers the site they asked for.
      const admin = new SiteRole({
        id: randomUUID(),
        siteId: site.id,
        subjectType: 'user',
        subject: principal.userId,
        role: 'admin',
        grantedBy: principal.userId,
      });
      await em.transactional((tx) => {
        tx.persist([site, operation, admin]);
      });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // A concurrent request won a race the pre-checks could not see.
      const again = forkEm(this.orm);
      if (key !== null) {
        const raced = await again.findOne(Site, { owner: principal.userId, idempotencyKey: key });
        if (raced) return this.repeat(raced, fingerprint);
      }
      const raceConflict = await this.findConflict(again, request);
      if (raceConflict) return raceConflict;
      throw error;
    }

    try {
      await this.startSiteWorkflow(site, operation);
    } catch (error) {
      this.log.error({ siteId: site.id, err: error }, 'starting the site workflow failed');
      await this.undoUnstarted(site, operation);
    }
    await recordSiteRequested(this.orm, site);
    this.log.info({ siteId: site.id, operationId: operation.id }, 'site requested');
    return this.payload(site, operation);
  }

  async getSite(id: string): Promise<SiteModel | null> {
    const em = forkEm(this.orm);
    const site = await em.findOne(Site, { id });
    if (!site) return null;
    // The production server: the earliest allocation still in use (a released server's row is
    // held, not in use, whenever it was allocated).
    const network = await em.findOne(
      NetworkConfig,
      { siteId: id, state: 'allocated' },
      { orderBy: { allocatedAt: 'asc' } },
    );
    return toSiteModel(site, network ?? undefined);
  }

  /** Several sites by id, two statements whatever their number (per 500 ids). */
  async getSites(ids: string[]): Promise<Map<string, SiteModel>> {
    const result = new Map<string, SiteModel>();
    for (const some of chunks(ids)) {
      const em = forkEm(this.orm);
      const sites = await em.find(Site, { id: { $in: some } });
      if (sites.length === 0) continue;
      // Earliest allocation in use last, so it is the one kept (as in getSite).
      const networks = await em.find(
        NetworkConfig,
        { siteId: { $in: sites.map((site) => site.id) }, state: 'allocated' },
        { orderBy: { allocatedAt: 'desc' } },
      );
      const bySite = new Map(networks.map((network) => [network.siteId, network]));
      for (const site of sites) result.set(site.id, toSiteModel(site, bySite.get(site.id)));
    }
    return result;
  }

  /**
   * One page of sites, keyset-paginated in the given order and filtered; whatever the page size,
   * one statement: the page with each site's production name and addresses, and the total (a
   * second statement only for the total when a cursor's page is empty).
   */
  async listSites(options: {
    first: number;
    after: string | null;
    visibleIds: string[] | undefined;
    filter: { status?: SiteStatus[]; search?: string };
    order: SiteOrder;
  }): Promise<SiteConnection> {
    const { first, order } = options;
    // No fork of the entity manager: a plain statement needs none, and a fork per request was 3% of
    // the list's CPU.
    const connection = sqlConnection(this.orm);
    const driver = this.config.database.driver;
    // The caller's visible sites last: no filter field can widen them.
    const filter = { ...options.filter, visibleIds: options.visibleIds };
    const platform = this.orm.em.getPlatform();
    const statement = siteListPage({
      filter,
      after: options.after ? decodeSiteCursor(options.after, order) : null,
      order,
      limit: first + 1,
      driver,
      platform,
    });
    const rows = await connection.execute<SiteListRow[]>(statement.sql, statement.params, 'all');
    let totalCount = 0;
    if (rows[0] !== undefined) {
      totalCount = Number(rows[0].total_count);
    } else if (options.after) {
      // No row after the cursor says nothing of the rows before it.
      const count = siteCount(filter, driver);
      const [row] = await connection.execute<{ total: number | string }[]>(
        count.sql,
        count.params,
        'all',
      );
      totalCount = Number(row?.total ?? 0);
    }
    const page = rows.slice(0, first).map((row) => siteFromListRow(row, platform));
    const cursorOf = (site: SiteFields) =>
      encodeSiteCursor({ order, value: sortValue(site, order), id: site.id });
    // An edge's cursor is encoded only if the client asks for it (many ask only for endCursor).
    const edges = page.map(({ site, network }) => ({
      get cursor() {
        return cursorOf(site);
      },
      node: toSiteModel(site, network),
    }));
    const last = page.at(-1);
    return {
      edges,
      pageInfo: {
        hasNextPage: rows.length > first,
        endCursor: last === undefined ? null : cursorOf(last.site),
      },
      totalCount,
    };
  }

  /**
   * Events of one site, oldest first, after a cursor or filtered by action (unfiltered first
   * pages of a list come from the DataLoader instead).
   */
  async siteEvents(siteId: string, first: number, afterId: string | null, actions?: string[]) {
    const where: FilterQuery<SiteEvent> = { siteId };
    if (afterId !== null) where.id = { $gt: afterId };
    if (actions?.length) where.action = { $in: actions };
    const rows = await forkEm(this.orm).find(SiteEvent, where, {
      orderBy: { id: 'asc' },
      limit: first + 1,
    });
    return { rows: rows.slice(0, first).map(toSiteEventModel), hasNextPage: rows.length > first };
  }

  /** Operations of one site, newest first, after a cursor or filtered by status. */
  siteOperations(
    siteId: string,
    first: number,
    afterId: string | null,
    statuses?: OperationStatus[],
  ) {
    return operationPage(this.orm, { siteId }, first, afterId, statuses);
  }

  private normalise(input: RequestSiteInput): NormalisedRequest {
    const hostname = input.hostname ?? null;
    if (hostname !== null && this.hostnames.numberOf(hostname) !== undefined) {
      throw badUserInput([
        {
          field: 'hostname',
          message: `names of the form ${this.config.network.hostnamePattern} are kept for allocated servers`,
        },
      ]);
    }
    return {
      name: input.name.trim(),
      description: (input.description ?? '').trim(),
      contactEmail: input.contactEmail.trim(),
      hostname,
      billingReference: input.billingReference?.trim() || null,
    };
  }

  private async findConflict(
    em: Em,
    request: NormalisedRequest,
  ): Promise<RequestSiteResult | null> {
    if ((await em.count(Site, { name: request.name })) > 0) {
      return new SiteNameTakenError(`a site named "${request.name}" exists`, 'name');
    }
    if (request.hostname !== null) {
      const fqdn = `${request.hostname}.${this.config.network.zone}`;
      const taken =
        (await em.count(Site, { hostnameLabel: request.hostname })) > 0 ||
        (await em.count(NetworkConfig, { hostname: fqdn })) > 0;
      if (taken) return new HostnameTakenError(`${fqdn} is taken`, 'hostname');
    }
    return null;
  }

  /**
   * Refuses a site that would need a new server when no address is left, so the requester hears
   * it at once and nothing is written. A site the warm pool can serve needs no new address.
   * Concurrent requests can still outrun this check; allocation then fails the site, and the
   * build leaves nothing behind.
   */
  private async addressesExhausted(
    em: Em,
    request: NormalisedRequest,
  ): Promise<AddressPoolExhaustedError | null> {
    const pool = defaultPool(this.config);
    if (request.hostname === null && pool) {
      const pooled = await em.count(Vm, { siteId: null, image: pool.image, status: 'pooled' });
      if (pooled > 0) return null;
    }
    const free = await freeAddresses(em);
    const missing = (['ipv4', 'ipv6'] as const).filter((family) => free[family] === 0);
    if (missing.length === 0) return null;
    return new AddressPoolExhaustedError(
      `no ${missing.join(' or ')} address is free for a new server`,
    );
  }

  /** A repeated request: the same site if the input matches, otherwise a typed refusal. */
  private async repeat(site: Site, fingerprint: string): Promise<RequestSiteResult> {
    if (site.requestFingerprint !== fingerprint) {
      return new IdempotencyKeyReusedError(
        'this idempotency key was used for a different request',
        'idempotencyKey',
      );
    }
    const em = forkEm(this.orm);
    const operation = await em.findOneOrFail(
      Operation,
      { siteId: site.id, kind: 'provision' },
      { orderBy: { createdAt: 'asc' } },
    );
    // The first attempt may have stopped between writing the rows and starting the workflow.
    try {
      await this.startSiteWorkflow(site, operation);
    } catch (error) {
      this.log.error({ siteId: site.id, err: error }, 'starting the site workflow failed');
      throw serviceUnavailable('The workflow engine');
    }
    await recordSiteRequested(this.orm, site);
    const network = await em.findOne(NetworkConfig, { siteId: site.id });
    return Object.assign(new RequestSitePayload(), {
      site: toSiteModel(site, network ?? undefined),
      operation: toOperationModel(operation),
    });
  }

  /**
   * After a start that failed: removes the request's rows if Temporal says the workflow does not
   * exist, and refuses the request, as if it had never been made. A start that reached Temporal
   * after all (its answer was lost) goes on as started. When Temporal cannot say either, the rows
   * stay, for the `site-request-repair` schedule to start the workflow once it answers: deleting
   * them under a workflow that did start would leave it building a server for no site.
   */
  private async undoUnstarted(site: Site, operation: Operation): Promise<void> {
    let state: Awaited<ReturnType<typeof siteWorkflowState>>;
    try {
      state = await siteWorkflowState(this.temporal, site.id);
    } catch (error) {
      this.log.error({ siteId: site.id, err: error }, 'the site workflow may not have started');
      throw new GraphQLError(
        'The workflow engine is unavailable. The request is recorded, and its site is built ' +
          'once the engine answers; repeat it with the same idempotency key to follow it',
        { extensions: { code: 'SERVICE_UNAVAILABLE' } },
      );
    }
    if (state !== 'none') return;
    await forkEm(this.orm).transactional(async (tx) => {
      await tx.nativeDelete(SiteRole, { siteId: site.id });
      await tx.nativeDelete(Operation, { id: operation.id });
      await tx.nativeDelete(Site, { id: site.id });
    });
    throw serviceUnavailable('The workflow engine');
  }

  private startSiteWorkflow(site: Site, operation: Operation): Promise<void> {
    return startSiteWorkflow(this.temporal, this.config, site, operation.id);
  }

  private payload(site: Site, operation: Operation): RequestSitePayload {
    return Object.assign(new RequestSitePayload(), {
      site: toSiteModel(site, undefined),
      operation: toOperationModel(operation),
    });
  }
}

function sortValue(site: SiteFields, order: SiteOrder): string {
  return order === 'NAME_ASC' ? site.name : site.createdAt.toISOString();
}
