import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { type CertificateStatus, type SiteCertificate } from '../../../libs/domain';

export enum CertificateStatusEnum {
  REQUESTED = 'requested',
  ACTIVE = 'active',
  EXPIRED = 'expired',
  REPLACED = 'replaced',
}
registerEnumType(CertificateStatusEnum, {
  name: 'CertificateStatus',
  description:
    'REQUESTED: waiting for the CA’s certificate; ACTIVE: installed; EXPIRED: installed, past its validity; REPLACED: a newer one is installed',
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const certificateStatusMatchesDomain: Same<`${CertificateStatusEnum}`, CertificateStatus> =
  true;

/**
 * A TLS certificate of one of the site's virtual hosts, as its admins see it: the request and,
 * once uploaded, the certificate. The private key is never part of it.
 */
@ObjectType('SiteCertificate', {
  description:
    'A TLS certificate of a virtual host: the request to take to a CA, then the certificate. Its private key stays on Berth and the site’s server',
})
export class SiteCertificateModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The virtual host it is for (`default`: the host name)' })
  vhost!: string;

  @Field(() => [String], { description: 'The names it was requested for; it covers each' })
  names!: string[];

  @Field(() => CertificateStatusEnum)
  status!: CertificateStatusEnum;

  @Field(() => String, {
    description: 'The certificate signing request (PEM) to give the certificate authority',
  })
  csr!: string;

  @Field(() => String, { nullable: true, description: 'The certificate (PEM), once uploaded' })
  certificate!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Its issuers (PEM), the certificate’s issuer first; empty when it came without',
  })
  chain!: string | null;

  @Field(() => String, { nullable: true, description: 'Who issued it (distinguished name)' })
  issuer!: string | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  notBefore!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it expires' })
  notAfter!: Date | null;

  @Field(() => String, {
    nullable: true,
    description: 'SHA-256 of the certificate (DER), lower-case hex',
  })
  fingerprint!: string | null;

  @Field(() => String)
  createdBy!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}

/** Entities are not GraphQL types; this copies every field but the key, which it never reads. */
export function toCertificateModel(
  row: Omit<SiteCertificate, 'sealedKey' | 'activate' | 'replace' | 'expire'>,
): SiteCertificateModel {
  return Object.assign(new SiteCertificateModel(), {
    id: row.id,
    vhost: row.vhostName,
    names: [...row.names],
    status: row.status as CertificateStatusEnum,
    csr: row.csr,
    certificate: row.certificate,
    chain: row.chain,
    issuer: row.issuer,
    notBefore: row.notBefore,
    notAfter: row.notAfter,
    fingerprint: row.fingerprint,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  });
}
