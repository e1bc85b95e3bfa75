import { Module } from '@nestjs/common';
import { SiteChangesResolver } from './site-changes.resolver';
import { SiteChangesService } from './site-changes.service';
import { SiteConfigResolver } from './site-config.resolver';
import { SiteConfigService } from './site-config.service';
import { SitesResolver } from './sites.resolver';
import { SitesService } from './sites.service';

@Module({
  providers: [
    SitesResolver,
    SitesService,
    SiteChangesResolver,
    SiteChangesService,
    SiteConfigResolver,
    SiteConfigService,
  ],
  exports: [SiteChangesService],
})
export class SitesModule {}
