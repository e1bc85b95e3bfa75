import { Field, InputType } from '@nestjs/graphql';
import {
  IsEmail,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { IdempotencyKeyField } from '../graphql/idempotency-key';

/** No control characters (C0, DEL, C1) and no line or paragraph separators. */
const printable = /^[^\p{Cc}\u2028\u2029]*$/u;

@InputType('RequestSiteInput')
export class RequestSiteInput {
  @Field(() => String, { description: '1 to 100 characters' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/\S/, { message: 'name must not be blank' })
  @Matches(printable, { message: 'name must not contain control characters' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'Up to 250 characters' })
  @IsOptional()
  @IsString()
  @MaxLength(250)
  @Matches(printable, { message: 'description must not contain control characters' })
  description?: string;

  @Field(() => String, { description: "The site's contact e-mail address" })
  @IsString()
  @MaxLength(254)
  @IsEmail({ allow_display_name: false, allow_ip_domain: false, require_tld: true })
  contactEmail!: string;

  @Field(() => String, {
    nullable: true,
    description:
      'A DNS label (lower-case letters, digits, inner hyphens; at most 63) for the server; allocated when absent',
  })
  @IsOptional()
  @IsString()
  @Length(1, 63)
  @Matches(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
    message: 'hostname must be one lower-case DNS label: letters, digits and inner hyphens',
  })
  hostname?: string;

  @IdempotencyKeyField(
    'Repeat a request with the same key to get the same site instead of a second one',
  )
  idempotencyKey?: string;

  @Field(() => String, {
    nullable: true,
    description: 'Purchase order or cost centre to bill (up to 100 characters)',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(printable, { message: 'billingReference must not contain control characters' })
  billingReference?: string;
}
