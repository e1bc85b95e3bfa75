import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import {
  AddressPoolsArgs,
  CreateAddressPoolInput,
  DeleteAddressPoolInput,
  UpdateAddressPoolInput,
} from './address-pool.inputs';
import { AddressPoolModel } from './address-pool.model';
import { AddressPoolResult, DeleteAddressPoolResult } from './address-pool.payload';
import { AddressPoolsService } from './address-pools.service';

/** Address pools, for operators: what servers' addresses come from, and how full each is. */
@Resolver()
export class AddressPoolsResolver {
  constructor(
    private readonly pools: AddressPoolsService,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => [AddressPoolModel], {
    description: 'Address pools with their utilisation (operators; a deployment has a handful)',
  })
  addressPools(
    @CurrentPrincipal() principal: Principal,
    @Args() args: AddressPoolsArgs,
  ): Promise<AddressPoolModel[]> {
    this.access.requireScope(principal, 'sites:read');
    this.access.requireOperator(principal);
    return this.pools.list(args.family);
  }

  @Mutation(() => AddressPoolResult, { description: 'Add an address pool (operators)' })
  createAddressPool(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: CreateAddressPoolInput,
  ): Promise<AddressPoolResult> {
    this.requireOperatorWrite(principal);
    return this.pools.create(principal, input);
  }

  @Mutation(() => AddressPoolResult, {
    description: "Change a pool's gateway, reserved ranges, priority or enabled flag (operators)",
  })
  updateAddressPool(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: UpdateAddressPoolInput,
  ): Promise<AddressPoolResult> {
    this.requireOperatorWrite(principal);
    return this.pools.update(principal, input);
  }

  @Mutation(() => DeleteAddressPoolResult, {
    description: 'Delete a pool no server holds an address from (operators)',
  })
  deleteAddressPool(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DeleteAddressPoolInput,
  ): Promise<DeleteAddressPoolResult> {
    this.requireOperatorWrite(principal);
    return this.pools.remove(principal, input);
  }

  private requireOperatorWrite(principal: Principal): void {
    this.access.requireScope(principal, 'sites:write');
    this.access.requireOperator(principal);
  }
}
