import { Module } from '@nestjs/common';
import { SitesModule } from '../sites/sites.module';
import { SshKeysResolver } from './ssh-keys.resolver';
import { SshKeysService } from './ssh-keys.service';

@Module({ imports: [SitesModule], providers: [SshKeysResolver, SshKeysService] })
export class SshKeysModule {}
