import { Module } from '@nestjs/common';
import { ConfigurationRunsResolver } from './configuration-runs.resolver';
import { OperationsResolver } from './operations.resolver';

@Module({ providers: [OperationsResolver, ConfigurationRunsResolver] })
export class OperationsModule {}
