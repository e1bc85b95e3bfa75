import { Field, InterfaceType, ObjectType } from '@nestjs/graphql';

/**
 * Outcomes a client can act on are members of a mutation's result union, each with a stable
 * `code` to switch on and the input `field` it concerns, where there is one.
 */
@InterfaceType('UserError')
export abstract class UserError {
  @Field(() => String, { description: 'Stable, machine-readable reason' })
  code!: string;

  @Field(() => String)
  message!: string;

  @Field(() => String, { nullable: true, description: 'The input field at fault, if any' })
  field?: string | null;
}

@ObjectType('SiteNameTakenError', { implements: () => [UserError] })
export class SiteNameTakenError extends UserError {
  constructor(message: string, field: string | null = null) {
    super();
    Object.assign(this, { code: 'SITE_NAME_TAKEN', message, field });
  }
}

@ObjectType('HostnameTakenError', { implements: () => [UserError] })
export class HostnameTakenError extends UserError {
  constructor(message: string, field: string | null = null) {
    super();
    Object.assign(this, { code: 'HOSTNAME_TAKEN', message, field });
  }
}

@ObjectType('IdempotencyKeyReusedError', { implements: () => [UserError] })
export class IdempotencyKeyReusedError extends UserError {
  constructor(message: string, field: string | null = null) {
    super();
    Object.assign(this, { code: 'IDEMPOTENCY_KEY_REUSED', message, field });
  }
}
