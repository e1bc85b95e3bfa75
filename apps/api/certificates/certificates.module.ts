import { Module } from '@nestjs/common';
import { SitesModule } from '../sites/sites.module';
import { CertificatesResolver } from './certificates.resolver';
import { CertificatesService } from './certificates.service';

@Module({
  imports: [SitesModule],
  providers: [CertificatesResolver, CertificatesService],
})
export class CertificatesModule {}
