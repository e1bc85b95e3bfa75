import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { HostOperationInput, MoveVmInput } from './fleet.inputs';
import { FleetOperationResult } from './fleet.payload';
import { FleetService } from './fleet.service';
import { HostModel } from './host.model';

/** The fleet, for operators: hosts, and the operations that move VMs between them. */
@Resolver()
export class FleetResolver {
  constructor(
    private readonly fleet: FleetService,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => [HostModel], {
    description: 'The hypervisor hosts, with capacity and VMs (operators; a cluster is tens)',
  })
  hosts(@CurrentPrincipal() principal: Principal): Promise<HostModel[]> {
    this.access.requireScope(principal, 'sites:read');
    this.access.requireOperator(principal);
    return this.fleet.hosts();
  }

  @Mutation(() => FleetOperationResult, {
    description: 'Live-migrate every VM off a host, then put it in maintenance mode (operators)',
  })
  evacuateHost(@CurrentPrincipal() principal: Principal, @Args('input') input: HostOperationInput) {
    this.requireOperatorWrite(principal);
    return this.fleet.evacuate(principal, input);
  }

  @Mutation(() => FleetOperationResult, {
    description: 'Take a host out of maintenance mode, so it takes VMs again (operators)',
  })
  returnHostToService(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: HostOperationInput,
  ) {
    this.requireOperatorWrite(principal);
    return this.fleet.returnToService(principal, input);
  }

  @Mutation(() => FleetOperationResult, {
    description: 'Live-migrate one VM to a named host (operators)',
  })
  moveVm(@CurrentPrincipal() principal: Principal, @Args('input') input: MoveVmInput) {
    this.requireOperatorWrite(principal);
    return this.fleet.moveVm(principal, input);
  }

  private requireOperatorWrite(principal: Principal): void {
    this.access.requireScope(principal, 'sites:write');
    this.access.requireOperator(principal);
  }
}
