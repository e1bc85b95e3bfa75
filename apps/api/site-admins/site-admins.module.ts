import { Module } from '@nestjs/common';
import { SiteAdminEmailsResolver } from './site-admin-emails.resolver';
import { SiteAdminEmailsService } from './site-admin-emails.service';

@Module({ providers: [SiteAdminEmailsResolver, SiteAdminEmailsService] })
export class SiteAdminsModule {}
