import { Field, ID, InputType } from '@nestjs/graphql';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { certificateNamePattern, maxRequestNames, pemLimits } from '../../../libs/tls';
import { IdempotencyKeyField } from '../graphql/idempotency-key';

@InputType({ isAbstract: true })
class CertificateChange {
  @Field(() => ID)
  @IsUUID('4')
  siteId!: string;

  @IdempotencyKeyField()
  idempotencyKey?: string;
}

@InputType('RequestCertificateInput', {
  description:
    'Berth makes a private key (RSA 2048) and a certificate signing request for names a virtual host of the site answers as, or will once an operator approves them',
})
export class RequestCertificateInput extends CertificateChange {
  @Field(() => String, {
    description: 'The virtual host the certificate is for: its name, or `default` (the host name)',
  })
  @IsString()
  @Length(1, 63)
  @Matches(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { message: 'vhost must be one DNS label' })
  vhost!: string;

  @Field(() => [String], {
    description: `Names of that virtual host (its server name or aliases), 1 to ${maxRequestNames}; the first that fits becomes the CN`,
  })
  @ArrayMinSize(1)
  @ArrayMaxSize(maxRequestNames)
  @IsString({ each: true })
  @Matches(certificateNamePattern, {
    each: true,
    message: 'each name must be a lower-case domain name, or *. and one',
  })
  names!: string[];
}

@InputType('UploadCertificateInput', {
  description:
    'The certificate a CA issued for a request; once checked, the virtual host’s server is configured to use it',
})
export class UploadCertificateInput extends CertificateChange {
  @Field(() => ID)
  @IsUUID('4')
  certificateId!: string;

  @Field(() => String, {
    description: 'PEM; a "full chain" file (the certificate, then its issuers) is taken too',
  })
  @IsString()
  @MaxLength(pemLimits.maxLength)
  certificate!: string;

  @Field(() => String, {
    nullable: true,
    description: 'PEM: the intermediate certificates the CA sent (and the root, if you like)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(pemLimits.maxLength)
  chain?: string | null;
}

@InputType('RemoveCertificateInput', {
  description:
    'Removes a request or a certificate and its key; an installed one is taken off the server',
})
export class RemoveCertificateInput extends CertificateChange {
  @Field(() => ID)
  @IsUUID('4')
  certificateId!: string;
}
