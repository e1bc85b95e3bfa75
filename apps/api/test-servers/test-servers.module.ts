import { Module } from '@nestjs/common';
import { SitesModule } from '../sites/sites.module';
import { TestServersResolver } from './test-servers.resolver';
import { TestServersService } from './test-servers.service';

@Module({ imports: [SitesModule], providers: [TestServersResolver, TestServersService] })
export class TestServersModule {}
