import { type FilterQuery } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  type ApiTokenScope,
  defaultApiTokenTtlMs,
  maxApiTokenTtlMs,
  newApiToken,
  credentialOfApiToken,
} from '../../../libs/auth/api-token';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { type Em, forkEm, type Orm } from '../../../libs/db/orm';
import { takeTurn } from '../../../libs/db/turn';
import { ApiToken, AuditEvent } from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';
import { SiteAccessService } from '../auth/site-access.service';
import { RateLimiter } from '../edge/rate-limit';
import { createdAtCursor } from '../graphql/created-at-cursor';
import { badUserInput, type FieldProblem, rateLimited } from '../graphql/graphql-errors';
import { BERTH_CONFIG, LOGGER, ORM } from '../tokens';
import { type CreateApiTokenInput } from './api-token.inputs';
import {
  type ApiTokenConnection,
  type ApiTokenModel,
  type ApiTokenScopeEnum,
} from './api-token.model';
import {
  ApiTokenNotFoundError,
  CreateApiTokenPayload,
  type CreateApiTokenResult,
  RevokeApiTokenPayload,
  type RevokeApiTokenResult,
  siteIdsNotFound,
} from './api-token.payload';

/** The window BERTH_RATE_LIMIT_TOKEN_CREATE_PER_HOUR counts in. */
const tokenCreationWindowMs = 3_600_000;

/** Cursors of API token lists. */
const cursors = createdAtCursor('api-token');

/**
 * Makes, lists and revokes API tokens; the resolver has decided that the caller may. The secret
 * exists only in the answer to its creation: the row holds its keyed hash, and every creation
 * and revocation is audited (without it).
 */
@Injectable()
export class ApiTokensService {
  /** Owners whose refusal was logged as a warning this hour; later ones are debug lines. */
  private readonly refusalsLogged = new RateLimiter({ limit: 1, windowMs: tokenCreationWindowMs });

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(ORM) private readonly orm: Orm,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly access: SiteAccessService,
  ) {}

  async create(principal: Principal, input: CreateApiTokenInput): Promise<CreateApiTokenResult> {
    const now = new Date();
    const scopes = [...new Set(input.scopes)] as ApiTokenScope[];
    const siteIds = input.siteIds ? [...new Set(input.siteIds)] : null;
    const expiresAt = input.expiresAt ?? new Date(now.getTime() + defaultApiTokenTtlMs);
    const problems = checkToken(scopes, siteIds, expiresAt, now);
    if (problems.length > 0) throw badUserInput(problems);

    if (siteIds) {
      // The sites the token itself will reach (its owner's roles, within its list): a token that
      // names a site it could never reach would only fail later, and say less.
      // Its owner is the caller, whose groups the directory has just told.
      const token: Principal = {
        ...credentialOfApiToken({ id: '', owner: principal.userId, scopes, siteIds }),
        groups: principal.groups,
        operator: principal.operator,
      };
      const reachable = new Set(await this.access.administeredSiteIds(token));
      const missing = siteIds.filter((siteId) => !reachable.has(siteId));
      if (missing.length > 0) return siteIdsNotFound(missing);
    }

    const secret = newApiToken(this.config.secretKey);
    const row = new ApiToken({
      id: secret.tokenId,
      owner: principal.userId,
      name: input.name,
      secretHash: secret.secretHash,
      scopes,
      siteIds,
      expiresAt,
    });
    row.createdAt = now;
    const retryAfterSeconds = await forkEm(this.orm).transactional(async (tx) => {
      // Counted once the request is known to make a token, so a refused one costs nothing; in
      // the transaction that makes it, behind the owner's other creations.
      await takeTurn(tx, this.config.database.driver, `api-token-create/${principal.userId}`);
      const wait = await this.creationWait(tx, principal.userId, now);
      if (wait !== undefined) return wait;
      tx.persist(row);
      audit(tx, principal, 'api-token.created', row);
      return undefined;
    });
    if (retryAfterSeconds !== undefined) {
      const fields = { limit: 'api-token-create', key: principal.userId, retryAfterSeconds };
      // A warning the first time in a window, so that a client retrying in a loop is seen once.
      if (this.refusalsLogged.take(principal.userId).allowed) {
        this.log.warn(fields, 'rate limit reached');
      } else this.log.debug(fields, 'rate limit refusal');
      throw rateLimited(
        `too many API tokens made in the last hour; try again in ${retryAfterSeconds} s`,
        retryAfterSeconds,
      );
    }
    this.log.info({ tokenId: row.id, owner: row.owner, scopes }, 'API token created');
    const payload = new CreateApiTokenPayload();
    payload.token = toModel(row);
    payload.secret = secret.token;
    return payload;
  }

  /**
   * Seconds until the owner may make another token, or undefined if they may now: at most
   * BERTH_RATE_LIMIT_TOKEN_CREATE_PER_HOUR in any hour, counted from the tokens' rows (revoked
   * ones too), so that every api process sees the same count. The window is read on this
   * process's clock, as `createdAt` is written: replicas whose clocks disagree by seconds move it
   * by as much.
   */
  private async creationWait(tx: Em, owner: string, now: Date): Promise<number | undefined> {
    const limit = this.config.rateLimits.tokenCreatePerHour;
    if (limit === 0) return undefined;
    const recent = await tx.find(
      ApiToken,
      { owner, createdAt: { $gt: new Date(now.getTime() - tokenCreationWindowMs) } },
      { fields: ['createdAt'], orderBy: { createdAt: 'desc', id: 'desc' }, limit },
    );
    if (recent.length < limit) return undefined;
    // Once the limit-th newest leaves the window, one fewer than the limit is in it.
    const freedAt = recent[limit - 1]!.createdAt.getTime() + tokenCreationWindowMs;
    return Math.max(1, Math.ceil((freedAt - now.getTime()) / 1000));
  }

  /** One page of an owner's tokens, newest first. */
  async list(owner: string, first: number, after: string | null): Promise<ApiTokenConnection> {
    const where: FilterQuery<ApiToken> =
      after === null ? { owner } : { owner, ...cursors.after(after) };
    const rows = await forkEm(this.orm).find(ApiToken, where, {
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      limit: first + 1,
    });
    const edges = rows
      .slice(0, first)
      .map((row) => ({ cursor: cursors.encode(row), node: toModel(row) }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  /** Idempotent: revoking a revoked token answers it as it is. */
  async revoke(
    principal: Principal,
    id: string,
    options: { anyOwner: boolean },
  ): Promise<RevokeApiTokenResult> {
    return forkEm(this.orm).transactional(async (tx) => {
      const row = await tx.findOne(ApiToken, { id });
      // Someone else's token reads as absent, like someone else's site.
      if (!row || (!options.anyOwner && row.owner !== principal.userId)) {
        return new ApiTokenNotFoundError('no such API token');
      }
      if (row.revokedAt === null) {
        row.revokedAt = new Date();
        audit(tx, principal, 'api-token.revoked', row);
        this.log.info({ tokenId: row.id, owner: row.owner }, 'API token revoked');
      }
      const payload = new RevokeApiTokenPayload();
      payload.token = toModel(row);
      return payload;
    });
  }
}

/** What the input validators cannot see alone: how its fields go together, and the clock. */
function checkToken(
  scopes: ApiTokenScope[],
  siteIds: string[] | null,
  expiresAt: Date,
  now: Date,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const site = scopes.includes('site');
  if (site && scopes.includes('operator')) {
    problems.push({ field: 'scopes', message: 'SITE cannot be combined with OPERATOR' });
  }
  if (site && siteIds === null) {
    problems.push({ field: 'siteIds', message: 'a SITE token names the sites it may reach' });
  }
  if (!site && siteIds !== null) {
    problems.push({ field: 'siteIds', message: 'only a SITE token names sites' });
  }
  if (expiresAt.getTime() <= now.getTime()) {
    problems.push({ field: 'expiresAt', message: 'expiresAt must be in the future' });
  } else if (expiresAt.getTime() - now.getTime() > maxApiTokenTtlMs) {
    problems.push({ field: 'expiresAt', message: 'expiresAt must be at most a year away' });
  }
  return problems;
}

function audit(tx: Em, principal: Principal, action: string, row: ApiToken): void {
  const sites = row.siteIds ? ` on sites ${row.siteIds.join(', ')}` : '';
  tx.persist(
    new AuditEvent({
      id: randomUUID(),
      actor: principal.userId,
      action,
      target: row.id,
      summary: (
        `API token "${row.name}" of ${row.owner}, ${row.scopes.join(' ')}, ` +
        `until ${row.expiresAt.toISOString()}${sites}`
      ).slice(0, 2000),
    }),
  );
}

function toModel(row: ApiToken): ApiTokenModel {
  return {
    id: row.id,
    owner: row.owner,
    name: row.name,
    scopes: row.scopes as string[] as ApiTokenScopeEnum[],
    siteIds: row.siteIds,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}
