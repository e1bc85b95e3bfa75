import { Module } from '@nestjs/common';
import { SiteNotesResolver } from './site-notes.resolver';
import { SiteNotesService } from './site-notes.service';

@Module({ providers: [SiteNotesResolver, SiteNotesService] })
export class SiteNotesModule {}
