import { applyDecorators } from '@nestjs/common';
import { Field } from '@nestjs/graphql';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

/**
 * The optional `idempotencyKey` of every mutation that starts work: 8 to 100 of letters, digits
 * and `._:-`. The same key on a repeated request returns what the first one started.
 */
export function IdempotencyKeyField(
  description = 'Repeat with the same key to get the same operation, not a second one',
): PropertyDecorator {
  return applyDecorators(
    Field(() => String, { nullable: true, description }),
    IsOptional(),
    IsString(),
    Length(8, 100),
    Matches(/^[A-Za-z0-9._:-]+$/, { message: 'idempotencyKey may hold letters, digits and ._:-' }),
  );
}
