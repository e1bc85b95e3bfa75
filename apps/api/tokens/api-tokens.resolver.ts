import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { scopesOf } from '../../../libs/auth/api-token';
import { hasScope, isInteractive, isOperator, type Principal } from '../../../libs/auth/principal';
import { forbidden } from '../auth/authenticate';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { ApiTokensArgs, CreateApiTokenInput, RevokeApiTokenInput } from './api-token.inputs';
import { ApiTokenConnection, ApiTokenScopeEnum } from './api-token.model';
import { CreateApiTokenResult, RevokeApiTokenResult } from './api-token.payload';
import { ApiTokensService } from './api-tokens.service';

/**
 * Users' API tokens. Only an interactive credential may make one, and a token never allows more
 * than the credential that made it: its scopes are among the maker's, and OPERATOR needs an
 * operator. Each user sees and revokes their own tokens; operators anyone's.
 */
@Resolver()
export class ApiTokensResolver {
  constructor(
    private readonly tokens: ApiTokensService,
    private readonly access: SiteAccessService,
  ) {}

  @Mutation(() => CreateApiTokenResult, {
    description: 'Make an API token for yourself; its secret is in this answer only',
  })
  createApiToken(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: CreateApiTokenInput,
  ): Promise<CreateApiTokenResult> {
    if (!isInteractive(principal)) throw forbidden('an API token cannot make API tokens');
    if (input.scopes.includes(ApiTokenScopeEnum.OPERATOR)) this.access.requireOperator(principal);
    const beyond = scopesOf(input.scopes).filter((scope) => !hasScope(principal, scope));
    if (beyond.length > 0) {
      throw forbidden(`this credential lacks the ${beyond.join(', ')} scope it would grant`);
    }
    return this.tokens.create(principal, input);
  }

  @Query(() => ApiTokenConnection, {
    description: 'Your API tokens, revoked and expired ones too (operators: anyone’s)',
  })
  apiTokens(
    @CurrentPrincipal() principal: Principal,
    @Args() args: ApiTokensArgs,
  ): Promise<ApiTokenConnection> {
    this.access.requireScope(principal, 'sites:read');
    const owner = args.owner ?? principal.userId;
    if (owner !== principal.userId) this.access.requireOperator(principal);
    return this.tokens.list(owner, args.first, args.after ?? null);
  }

  @Mutation(() => RevokeApiTokenResult, {
    description: 'Refuse an API token from now on (its owner, or an operator)',
  })
  revokeApiToken(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: RevokeApiTokenInput,
  ): Promise<RevokeApiTokenResult> {
    this.access.requireScope(principal, 'sites:write');
    return this.tokens.revoke(principal, input.id, { anyOwner: isOperator(principal) });
  }
}
