import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { isOperator, type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { EndLoginSessionInput, LoginSessionsArgs } from './login-session.inputs';
import { LoginSessionConnection } from './login-session.model';
import { EndLoginSessionResult } from './login-session.payload';
import { LoginSessionsService } from './login-sessions.service';

/**
 * Users' browser login sessions: each user sees and ends their own (a forgotten one on another
 * computer, say); operators anyone's, to shut out whoever holds a compromised user's cookie.
 */
@Resolver()
export class LoginSessionsResolver {
  constructor(
    private readonly sessions: LoginSessionsService,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => LoginSessionConnection, {
    description: 'Your login sessions, ended and expired ones too (operators: anyone’s)',
  })
  loginSessions(
    @CurrentPrincipal() principal: Principal,
    @Args() args: LoginSessionsArgs,
  ): Promise<LoginSessionConnection> {
    this.access.requireScope(principal, 'sites:read');
    const user = args.user ?? principal.userId;
    if (user !== principal.userId) this.access.requireOperator(principal);
    return this.sessions.list(user, args.first, args.after ?? null, principal.sessionId);
  }

  @Mutation(() => EndLoginSessionResult, {
    description: 'Refuse a login session from now on (its user, or an operator)',
  })
  endLoginSession(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: EndLoginSessionInput,
  ): Promise<EndLoginSessionResult> {
    this.access.requireScope(principal, 'sites:write');
    return this.sessions.end(principal, input.id, { anyUser: isOperator(principal) });
  }
}
