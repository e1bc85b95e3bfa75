import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { isInteractive, isOperator, type Principal } from '../../../libs/auth/principal';
import { forbidden } from '../auth/authenticate';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { AddSshKeyInput, RemoveSshKeyInput, SshKeysArgs } from './ssh-key.inputs';
import { SshKeyModel } from './ssh-key.model';
import { AddSshKeyResult, RemoveSshKeyResult } from './ssh-key.payload';
import { SshKeysService } from './ssh-keys.service';

/**
 * Users' SSH keys: each user manages their own; operators anyone's. Only an interactive login
 * changes keys: a key outlives any API token, and a token limited to some sites must not grant
 * a login to all of its user's sites.
 */
@Resolver(() => SshKeyModel)
export class SshKeysResolver {
  constructor(
    private readonly keys: SshKeysService,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => [SshKeyModel], {
    description: "A user's SSH keys, oldest first: the caller's own, or anyone's for operators",
  })
  sshKeys(@CurrentPrincipal() p: Principal, @Args() args: SshKeysArgs): Promise<SshKeyModel[]> {
    this.access.requireScope(p, 'sites:read');
    return this.keys.list(this.owner(p, args.user));
  }

  @Mutation(() => AddSshKeyResult, {
    description:
      'Add an SSH key (the caller’s own; operators may name a user); the servers of every site ' +
      'the user has a role on are configured again',
  })
  addSshKey(@CurrentPrincipal() p: Principal, @Args('input') input: AddSshKeyInput) {
    this.requireInteractiveWrite(p);
    return this.keys.add(p, this.owner(p, input.user), input);
  }

  @Mutation(() => RemoveSshKeyResult, {
    description:
      'Remove an SSH key (its owner, or an operator); the servers of every site the user has a ' +
      'role on are configured again',
  })
  removeSshKey(@CurrentPrincipal() p: Principal, @Args('input') input: RemoveSshKeyInput) {
    this.requireInteractiveWrite(p);
    return this.keys.remove(p, input);
  }

  private requireInteractiveWrite(principal: Principal): void {
    this.access.requireScope(principal, 'sites:write');
    if (!isInteractive(principal)) throw forbidden('an API token cannot change SSH keys');
  }

  /** The user a call is about: the caller, or anyone when an operator names them. */
  private owner(principal: Principal, user: string | undefined): string {
    if (user === undefined || user === principal.userId) return principal.userId;
    if (!isOperator(principal)) throw forbidden("only operators may manage other users' keys");
    return user;
  }
}
