import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { AddressFamilyEnum } from './address-pool.model';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsBoolean,
  IsEnum,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { maxReservedRanges } from '../../../libs/network/pools';
import { RepeatedArgs } from '../graphql/validation.pipe';

/**
 * For a change's fields that have no "none": absent leaves the value as it is, and null is refused
 * (IsOptional would let it through, to be written into a NOT NULL column).
 */
const unlessAbsent = ValidateIf((_input: object, value: unknown) => value !== undefined);

/** Address text as typed; libs/network parses it strictly, this only bounds it. */
const addressText = /^[0-9A-Fa-f:.]{2,39}$/;

@InputType('ReservedRangeInput')
export class ReservedRangeInput {
  @Field(() => String)
  @IsString()
  @Matches(addressText, { message: 'first must be an IP address' })
  first!: string;

  @Field(() => String)
  @IsString()
  @Matches(addressText, { message: 'last must be an IP address' })
  last!: string;
}

@InputType('CreateAddressPoolInput', { description: 'A new address pool (operators)' })
export class CreateAddressPoolInput {
  @Field(() => String, { description: 'Lower-case letters, digits and inner hyphens' })
  @IsString()
  @Length(1, 63)
  @Matches(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
    message: 'name may hold lower-case letters, digits and inner hyphens',
  })
  name!: string;

  @Field(() => String, { description: 'The network in CIDR notation, host bits zero' })
  @IsString()
  @Length(3, 43)
  @Matches(/^[0-9A-Fa-f:.]+\/[0-9]{1,3}$/, { message: 'cidr must look like 192.0.2.0/24' })
  cidr!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsString()
  @Matches(addressText, { message: 'gateway must be an IP address' })
  gateway?: string;

  @Field(() => [ReservedRangeInput], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(maxReservedRanges)
  @ValidateNested({ each: true })
  @Type(() => ReservedRangeInput)
  reserved?: ReservedRangeInput[];

  @Field(() => Int, { nullable: true, description: 'Lower is used first; 100 when absent' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  priority?: number;

  @Field(() => Boolean, { nullable: true, description: 'True when absent' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

@InputType('UpdateAddressPoolInput', {
  description: 'Changes to a pool; absent fields stay as they are. The network cannot change.',
})
export class UpdateAddressPoolInput {
  @Field(() => ID)
  @IsString()
  @Length(1, 36)
  id!: string;

  @Field(() => String, { nullable: true, description: 'An empty string removes the gateway' })
  @IsOptional()
  @IsString()
  @Matches(/^([0-9A-Fa-f:.]{2,39})?$/, { message: 'gateway must be an IP address' })
  gateway?: string;

  @Field(() => [ReservedRangeInput], { nullable: true, description: 'Replaces the list' })
  @IsOptional()
  @ArrayMaxSize(maxReservedRanges)
  @ValidateNested({ each: true })
  @Type(() => ReservedRangeInput)
  reserved?: ReservedRangeInput[];

  @Field(() => Int, { nullable: true })
  @unlessAbsent
  @IsInt()
  @Min(0)
  @Max(10_000)
  priority?: number;

  @Field(() => Boolean, { nullable: true })
  @unlessAbsent
  @IsBoolean()
  enabled?: boolean;
}

@InputType('DeleteAddressPoolInput')
export class DeleteAddressPoolInput {
  @Field(() => ID)
  @IsString()
  @Length(1, 36)
  id!: string;
}

@ArgsType()
@RepeatedArgs()
export class AddressPoolsArgs {
  @Field(() => AddressFamilyEnum, { nullable: true, description: 'Only pools of this family' })
  @IsOptional()
  @IsEnum(AddressFamilyEnum)
  family?: AddressFamilyEnum;
}
