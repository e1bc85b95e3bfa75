import { Module } from '@nestjs/common';
import { BackupsResolver } from './backups.resolver';

@Module({ providers: [BackupsResolver] })
export class BackupsModule {}
