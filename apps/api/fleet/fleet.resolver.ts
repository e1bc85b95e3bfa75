import { Inject } from '@nestjs/common';
import { Args, Mutation, Query, Resolver } from '@nestjs/graphql';
import { type Orm } from '../../../libs/db/orm';
import { operationPage } from '../operations/operation-page';
import { decodeChildCursor, encodeChildCursor } from '../sites/site-cursor';
import { SiteOperationsArgs } from '../sites/site-list.args';
import { OperationConnection } from '../sites/site.model';
import { ORM } from '../tokens';
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
    @Inject(ORM) private readonly orm: Orm,
  ) {}

  @Query(() => [HostModel], {
    description: 'The hypervisor hosts, with capacity and VMs (operators; a cluster is tens)',
  })
  hosts(@CurrentPrincipal() principal: Principal): Promise<HostModel[]> {
    this.access.requireScope(principal, 'sites:read');
    this.access.requireOperator(principal);
    return this.fleet.hosts();
  }

  @Query(() => OperationConnection, {
    description: 'Fleet operations (evacuations, moves, failovers), newest first (operators)',
  })
  async fleetOperations(
    @CurrentPrincipal() principal: Principal,
    @Args() args: SiteOperationsArgs,
  ): Promise<OperationConnection> {
    this.access.requireScope(principal, 'sites:read');
    this.access.requireOperator(principal);
    const page = await operationPage(
      this.orm,
      { siteId: null },
      args.first,
      args.after ? decodeChildCursor(args.after, 'operation') : null,
      args.status,
    );
    const edges = page.rows.map((node) => ({
      cursor: encodeChildCursor('operation', node.id),
      node,
    }));
    return {
      edges,
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
    };
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
