import {
  BadRequestException,
  Controller,
  ForbiddenException,
  Get,
  Header,
  HttpCode,
  Inject,
  NotFoundException,
  Post,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { type Request, type Response } from 'express';
import { GraphQLError } from 'graphql';
import {
  cookieValue,
  csrfToken,
  newSession,
  parseSessionCookie,
  sessionCookieName,
} from '../../../libs/auth/session';
import { type BerthConfig } from '../../../libs/config';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { LoginSession } from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';
import { AUTHENTICATE_DEPS, BERTH_CONFIG, LOGGER, ORM } from '../tokens';
import { authenticate, type AuthenticateDeps } from './authenticate';
import {
  BrowserLogin,
  LoginRefusedError,
  loginStateCookieName,
  loginStateTtlSeconds,
  LoginUnavailableError,
} from './browser-login';
import { csrfChecked } from './csrf';
import { sessionAudit } from './session-audit';

/** What `GET /auth/session` tells the page about its login. */
export interface SessionInfo {
  userId: string;
  groups: string[];
  operator: boolean;
  expiresAt: string;
  /** Send it back in `X-Berth-CSRF` with every mutation and with `POST /auth/logout`. */
  csrfToken: string;
}

/**
 * Browser login (issue #7): `GET /auth/login?returnTo=/path` sends the browser to the provider,
 * `GET /auth/callback` makes a session and sets its cookie, `GET /auth/session` says who is logged
 * in (and the CSRF token), `POST /auth/logout` ends the session. Logins and logouts are audited.
 * All of it answers 404 when no OIDC client is configured.
 */
@Controller('auth')
export class LoginController {
  private readonly login: BrowserLogin | undefined;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(ORM) private readonly orm: Orm,
    @Inject(AUTHENTICATE_DEPS) private readonly auth: AuthenticateDeps,
  ) {
    const oidc = config.oidc;
    this.login = oidc?.login ? new BrowserLogin(config, oidc.login, oidc.issuer) : undefined;
  }

  @Get('login')
  @Header('cache-control', 'no-store')
  async start(
    @Query('returnTo') returnTo: unknown,
    @Res({ passthrough: false }) response: Response,
  ): Promise<void> {
    const login = this.requireLogin();
    const started = await this.answer(() =>
      login.start(typeof returnTo === 'string' ? returnTo : undefined),
    );
    response.cookie(loginStateCookieName, started.state, {
      ...this.cookieOptions(),
      maxAge: loginStateTtlSeconds * 1000,
    });
    response.redirect(302, started.authorizationUrl.href);
  }

  @Get('callback')
  @Header('cache-control', 'no-store')
  async callback(@Req() request: Request, @Res() response: Response): Promise<void> {
    const login = this.requireLogin();
    // The state is single-use whatever happens next.
    response.clearCookie(loginStateCookieName, this.cookieOptions());
    const callbackUrl = new URL(request.originalUrl, login.redirectUri);
    const finished = await this.answer(() =>
      login.finish(callbackUrl, cookieValue(request.headers.cookie, loginStateCookieName)),
    );
    const now = new Date();
    const expiresAt = new Date(now.getTime() + this.config.sessions.hours * 3600 * 1000);
    const secret = newSession(this.config.secretKey);
    const row = new LoginSession({
      id: secret.sessionId,
      userId: finished.userId,
      secretHash: secret.secretHash,
      expiresAt,
    });
    row.createdAt = now;
    await forkEm(this.orm).transactional((tx) => {
      tx.persist(row);
      tx.persist(
        sessionAudit(
          finished.userId,
          'session.created',
          row.id,
          `logged in until ${expiresAt.toISOString()}`,
        ),
      );
    });
    this.log.info({ userId: finished.userId, sessionId: row.id }, 'logged in');
    response.cookie(sessionCookieName, secret.cookie, {
      ...this.cookieOptions(),
      maxAge: this.config.sessions.hours * 3600 * 1000,
    });
    response.redirect(303, finished.returnTo);
  }

  @Get('session')
  @Header('cache-control', 'no-store')
  async session(@Req() request: Request): Promise<SessionInfo> {
    const presented = parseSessionCookie(
      cookieValue(request.headers.cookie, sessionCookieName) ?? '',
    );
    if (!presented) throw new UnauthorizedException('not logged in');
    const principal = await this.authenticateSession(request);
    const row = await forkEm(this.orm).findOneOrFail(LoginSession, { id: presented.sessionId });
    return {
      userId: principal.userId,
      groups: principal.groups,
      operator: principal.operator,
      expiresAt: row.expiresAt.toISOString(),
      csrfToken: csrfToken(this.config.secretKey, presented),
    };
  }

  /** Ends the session (it is refused from then on) and clears its cookie. Needs the CSRF token. */
  @Post('logout')
  @HttpCode(204)
  async logout(@Req() request: Request, @Res() response: Response): Promise<void> {
    const principal = await this.authenticateSession(request);
    if (!csrfChecked(this.config, principal, request)) {
      throw new ForbiddenException('logging out needs the session’s CSRF token in X-Berth-CSRF');
    }
    const sessionId = principal.sessionId!;
    await forkEm(this.orm).transactional(async (tx) => {
      const ended = await tx.nativeUpdate(
        LoginSession,
        { id: sessionId, endedAt: null },
        { endedAt: new Date() },
      );
      // Ended meanwhile (endLoginSession): audited there, once.
      if (ended > 0)
        tx.persist(sessionAudit(principal.userId, 'session.ended', sessionId, 'logged out'));
    });
    this.log.info({ userId: principal.userId, sessionId }, 'logged out');
    response.clearCookie(sessionCookieName, this.cookieOptions());
    response.end();
  }

  private requireLogin(): BrowserLogin {
    if (!this.login) throw new NotFoundException('browser login is not configured');
    return this.login;
  }

  /** The session cookie's caller (never a bearer token: these endpoints are the session's own). */
  private async authenticateSession(request: Request) {
    try {
      const principal = await authenticate(this.auth, { cookie: request.headers.cookie });
      if (principal.via !== 'session') throw new UnauthorizedException('not logged in');
      return principal;
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      if (error.extensions.code === 'SERVICE_UNAVAILABLE') {
        throw new ServiceUnavailableException(error.message);
      }
      throw new UnauthorizedException('not logged in');
    }
  }

  private async answer<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof LoginRefusedError) {
        this.log.info({ reason: error.message }, 'login refused');
        throw new BadRequestException(error.message);
      }
      if (error instanceof LoginUnavailableError) {
        this.log.warn({ err: error.cause }, error.message);
        throw new ServiceUnavailableException('login is unavailable; try again');
      }
      throw error;
    }
  }

  /** Secure, HttpOnly, SameSite=Lax (the provider's redirect back is a top-level GET), Path=/. */
  private cookieOptions() {
    return { httpOnly: true, secure: true, sameSite: 'lax' as const, path: '/' };
  }
}
