import { Query, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { FleetStatisticsModel } from './fleet-statistics.model';
import { FleetStatisticsService } from './fleet-statistics.service';

/** The fleet in numbers, for operators' dashboards. */
@Resolver()
export class FleetStatisticsResolver {
  constructor(
    private readonly statistics: FleetStatisticsService,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => FleetStatisticsModel, {
    description: 'Sites, VMs, addresses and recent operations, counted (operators)',
  })
  fleetStatistics(@CurrentPrincipal() principal: Principal): Promise<FleetStatisticsModel> {
    this.access.requireScope(principal, 'sites:read');
    this.access.requireOperator(principal);
    return this.statistics.statistics();
  }
}
