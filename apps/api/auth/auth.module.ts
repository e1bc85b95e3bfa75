import { Global, Module } from '@nestjs/common';
import { SiteAccessService } from './site-access.service';

@Global()
@Module({ providers: [SiteAccessService], exports: [SiteAccessService] })
export class AuthModule {}
