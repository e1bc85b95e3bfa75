import { Field, ID, InputType } from '@nestjs/graphql';
import {
  IsBoolean,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';

/** No control characters (C0, DEL, C1) and no line or paragraph separators. */
const printable = /^[^\p{Cc}\u2028\u2029]*$/u;

@InputType('SiteChangeInput', { description: 'A change to one site' })
export class SiteChangeInput {
  @Field(() => ID)
  @IsUUID('4')
  siteId!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Repeat the change with the same key to get the same operation, not a second one',
  })
  @IsOptional()
  @IsString()
  @Length(8, 100)
  @Matches(/^[A-Za-z0-9._:-]+$/, { message: 'idempotencyKey may hold letters, digits and ._:-' })
  idempotencyKey?: string;
}

@InputType('SuspendSiteInput')
export class SuspendSiteInput extends SiteChangeInput {
  @Field(() => String, { description: 'Why, for the site admins and the audit log (1 to 500)' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  @Matches(printable, { message: 'reason must not contain control characters' })
  reason!: string;
}

@InputType('SetSiteRenewalInput')
export class SetSiteRenewalInput extends SiteChangeInput {
  @Field(() => Boolean, { description: 'false: the site ends with its subscription year' })
  @IsBoolean()
  renews!: boolean;
}
