import { Args, Context, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { SiteNotFoundError } from '../sites/change-site.payload';
import { SiteModel } from '../sites/site.model';
import {
  RemoveCertificateInput,
  RequestCertificateInput,
  UploadCertificateInput,
} from './certificate.inputs';
import { SiteCertificateModel } from './certificate.model';
import {
  RemoveCertificateResult,
  RequestCertificateResult,
  UploadCertificateResult,
} from './certificate.payload';
import { CertificatesService } from './certificates.service';

/** A site's TLS certificates, which its admins request, upload and remove. */
@Resolver(() => SiteModel)
export class CertificatesResolver {
  constructor(
    private readonly service: CertificatesService,
    private readonly access: SiteAccessService,
  ) {}

  @ResolveField(() => [SiteCertificateModel], {
    description: 'TLS certificates of its virtual hosts and requests for them, newest first',
  })
  certificates(
    @Parent() site: SiteModel,
    @Context() context: object,
  ): Promise<SiteCertificateModel[]> {
    return this.service.certificatesOf(context, site.id);
  }

  @Mutation(() => RequestCertificateResult, {
    description:
      'Make a private key and a certificate signing request for a virtual host; take the CSR to a CA, then upload its certificate (its admins)',
  })
  async requestCertificate(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: RequestCertificateInput,
  ) {
    return (await this.refusal(p, input.siteId)) ?? this.service.request(p, input);
  }

  @Mutation(() => UploadCertificateResult, {
    description:
      'Upload the certificate a CA issued for a request; once checked, it is installed by a configuration run (its admins)',
  })
  async uploadCertificate(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: UploadCertificateInput,
  ) {
    return (await this.refusal(p, input.siteId)) ?? this.service.upload(p, input);
  }

  @Mutation(() => RemoveCertificateResult, {
    description: 'Remove a certificate or a request, and its key (its admins)',
  })
  async removeCertificate(
    @CurrentPrincipal() p: Principal,
    @Args('input') input: RemoveCertificateInput,
  ) {
    return (await this.refusal(p, input.siteId)) ?? this.service.remove(p, input);
  }

  /** Someone else's site answers as absent, like the site query. */
  private async refusal(principal: Principal, siteId: string) {
    this.access.requireScope(principal, 'sites:write');
    if (await this.access.canAdminister(principal, siteId)) return undefined;
    return new SiteNotFoundError('no such site');
  }
}
