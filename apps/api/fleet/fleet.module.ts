import { Module } from '@nestjs/common';
import { FleetStatisticsResolver } from './fleet-statistics.resolver';
import { FleetStatisticsService } from './fleet-statistics.service';
import { FleetResolver } from './fleet.resolver';
import { FleetService } from './fleet.service';

@Module({
  providers: [FleetResolver, FleetService, FleetStatisticsResolver, FleetStatisticsService],
})
export class FleetModule {}
