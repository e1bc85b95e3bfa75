import {
  Field,
  Float,
  GraphQLISODateTime,
  ID,
  Int,
  ObjectType,
  registerEnumType,
} from '@nestjs/graphql';
import { type AddressFamily } from '../../../libs/network/addresses';

export enum AddressFamilyEnum {
  IPV4 = 'ipv4',
  IPV6 = 'ipv6',
}
registerEnumType(AddressFamilyEnum, { name: 'AddressFamily' });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const addressFamilyMatchesDomain: Same<`${AddressFamilyEnum}`, AddressFamily> = true;

@ObjectType('ReservedRange', { description: 'Addresses kept out of allocation, first to last' })
export class ReservedRangeModel {
  @Field(() => String)
  first!: string;

  @Field(() => String)
  last!: string;
}

@ObjectType('AddressPool', {
  description: 'A range of addresses servers get theirs from (operators)',
})
export class AddressPoolModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => AddressFamilyEnum)
  family!: AddressFamilyEnum;

  @Field(() => String, { description: 'The network, host bits zero' })
  cidr!: string;

  @Field(() => String, { nullable: true, description: 'The default route; never handed out' })
  gateway!: string | null;

  @Field(() => [ReservedRangeModel])
  reserved!: ReservedRangeModel[];

  @Field(() => String, { description: "The reverse zone that holds the pool's PTR records" })
  reverseZone!: string;

  @Field(() => Int, { description: 'Pools of a family are used lowest first' })
  priority!: number;

  @Field(() => Boolean, { description: 'A disabled pool hands out no new addresses' })
  enabled!: boolean;

  @Field(() => Float, {
    description: 'Addresses the pool can hand out at most (not the gateway or reserved ones)',
  })
  capacity!: number;

  @Field(() => Int, { description: 'Addresses held by servers' })
  allocated!: number;

  @Field(() => Int, { description: 'Released addresses still in their hold period' })
  held!: number;

  @Field(() => Float, { description: 'capacity - allocated - held' })
  free!: number;

  @Field(() => Float, { description: '(allocated + held) / capacity, from 0 to 1' })
  utilisation!: number;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}
