import { type FilterQuery } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { type Principal } from '../../../libs/auth/principal';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { LoginSession } from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';
import { sessionAudit } from '../auth/session-audit';
import { createdAtCursor } from '../graphql/created-at-cursor';
import { LOGGER, ORM } from '../tokens';
import { type LoginSessionConnection, type LoginSessionModel } from './login-session.model';
import {
  EndLoginSessionPayload,
  type EndLoginSessionResult,
  LoginSessionNotFoundError,
} from './login-session.payload';

/** Cursors of login session lists (an API token list's cursor is refused). */
const cursors = createdAtCursor('login-session');

/**
 * Lists and ends users' login sessions; the resolver has decided that the caller may. Ending one
 * sets its `endedAt`, which every request's session check reads (no cache), so the session is
 * refused from the next request on; each ending is audited once.
 */
@Injectable()
export class LoginSessionsService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /**
   * One page of a user's sessions, newest first; `currentSessionId` is the session the request
   * came with, if any.
   */
  async list(
    userId: string,
    first: number,
    after: string | null,
    currentSessionId: string | undefined,
  ): Promise<LoginSessionConnection> {
    const where: FilterQuery<LoginSession> =
      after === null ? { userId } : { userId, ...cursors.after(after) };
    const rows = await forkEm(this.orm).find(LoginSession, where, {
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      limit: first + 1,
    });
    const edges = rows
      .slice(0, first)
      .map((row) => ({ cursor: cursors.encode(row), node: toModel(row, currentSessionId) }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null },
    };
  }

  /** Idempotent: ending an ended session answers it as it is, and audits nothing. */
  async end(
    principal: Principal,
    id: string,
    options: { anyUser: boolean },
  ): Promise<EndLoginSessionResult> {
    return forkEm(this.orm).transactional(async (tx) => {
      const row = await tx.findOne(LoginSession, { id });
      // Someone else's session reads as absent, like someone else's API token.
      if (!row || (!options.anyUser && row.userId !== principal.userId)) {
        return new LoginSessionNotFoundError('no such login session');
      }
      if (row.endedAt === null) {
        // Conditional: of two calls at once (or a logout meanwhile), one ends it and audits.
        const ended = await tx.nativeUpdate(
          LoginSession,
          { id, endedAt: null },
          { endedAt: new Date() },
        );
        if (ended > 0) {
          tx.persist(
            sessionAudit(
              principal.userId,
              'session.ended',
              id,
              `session of ${row.userId} ended by ${principal.userId}`,
            ),
          );
          this.log.info(
            { sessionId: id, userId: row.userId, actor: principal.userId },
            'login session ended',
          );
        }
        await tx.refreshOrFail(row);
      }
      const payload = new EndLoginSessionPayload();
      payload.session = toModel(row, principal.sessionId);
      return payload;
    });
  }
}

function toModel(row: LoginSession, currentSessionId: string | undefined): LoginSessionModel {
  return {
    id: row.id,
    userId: row.userId,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastSeenAt: row.lastSeenAt,
    endedAt: row.endedAt,
    current: row.id === currentSessionId,
  };
}
