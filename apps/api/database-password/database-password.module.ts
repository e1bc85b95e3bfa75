import { Module } from '@nestjs/common';
import { SitesModule } from '../sites/sites.module';
import { DatabasePasswordResolver } from './database-password.resolver';
import { DatabasePasswordService } from './database-password.service';

@Module({
  imports: [SitesModule],
  providers: [DatabasePasswordResolver, DatabasePasswordService],
})
export class DatabasePasswordModule {}
