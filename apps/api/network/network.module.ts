import { Module } from '@nestjs/common';
import { AddressPoolsResolver } from './address-pools.resolver';
import { AddressPoolsService } from './address-pools.service';

@Module({ providers: [AddressPoolsResolver, AddressPoolsService] })
export class NetworkModule {}
