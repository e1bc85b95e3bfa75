import { Module } from '@nestjs/common';
import { FleetResolver } from './fleet.resolver';
import { FleetService } from './fleet.service';

@Module({ providers: [FleetResolver, FleetService] })
export class FleetModule {}
