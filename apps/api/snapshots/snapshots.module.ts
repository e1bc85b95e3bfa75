import { Module } from '@nestjs/common';
import { SitesModule } from '../sites/sites.module';
import { SnapshotsResolver } from './snapshots.resolver';
import { SnapshotsService } from './snapshots.service';

@Module({ imports: [SitesModule], providers: [SnapshotsResolver, SnapshotsService] })
export class SnapshotsModule {}
