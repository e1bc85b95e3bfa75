import { Field, ID, InputType } from '@nestjs/graphql';
import { IsBoolean, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';
import { IdempotencyKeyField } from '../graphql/idempotency-key';

/** No control characters (C0, DEL, C1) and no line or paragraph separators. */
const printable = /^[^\p{Cc}\u2028\u2029]*$/u;

@InputType('SiteChangeInput', { description: 'A change to one site' })
export class SiteChangeInput {
  @Field(() => ID)
  @IsUUID('4')
  siteId!: string;

  @IdempotencyKeyField(
    'Repeat the change with the same key to get the same operation, not a second one',
  )
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
