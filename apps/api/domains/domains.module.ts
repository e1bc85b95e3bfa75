import { Module } from '@nestjs/common';
import { SitesModule } from '../sites/sites.module';
import { DomainNamesResolver } from './domain-names.resolver';
import { DomainNamesService } from './domain-names.service';

@Module({ imports: [SitesModule], providers: [DomainNamesResolver, DomainNamesService] })
export class DomainsModule {}
