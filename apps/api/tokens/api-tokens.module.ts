import { Module } from '@nestjs/common';
import { ApiTokensResolver } from './api-tokens.resolver';
import { ApiTokensService } from './api-tokens.service';

@Module({ providers: [ApiTokensResolver, ApiTokensService] })
export class ApiTokensModule {}
