import { Module } from '@nestjs/common';
import { SitesModule } from '../sites/sites.module';
import { SiteSupportResolver } from './site-support.resolver';
import { SiteSupportService } from './site-support.service';

@Module({ imports: [SitesModule], providers: [SiteSupportResolver, SiteSupportService] })
export class SiteSupportModule {}
