import { Module } from '@nestjs/common';
import { OperationsResolver } from './operations.resolver';

@Module({ providers: [OperationsResolver] })
export class OperationsModule {}
