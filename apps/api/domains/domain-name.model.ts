import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { type DomainNameStatus } from '../../../libs/domain';
import { PageInfo } from '../sites/site.model';

export enum DomainNameStatusEnum {
  APPROVED = 'approved',
  PENDING = 'pending',
  REJECTED = 'rejected',
}
registerEnumType(DomainNameStatusEnum, {
  name: 'DomainNameStatus',
  description:
    "APPROVED names are served; PENDING ones wait for an operator (names outside the organisation's zones); REJECTED ones are never served",
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const domainNameStatusMatches: Same<`${DomainNameStatusEnum}`, DomainNameStatus> = true;

@ObjectType('VhostName', {
  description: 'One of the names a virtual host answers as, and whether its server serves it',
})
export class VhostNameModel {
  @Field(() => String)
  name!: string;

  @Field(() => DomainNameStatusEnum)
  status!: DomainNameStatusEnum;

  @Field(() => String, { nullable: true, description: 'Why an operator rejected it' })
  reason!: string | null;
}

@ObjectType('DomainName', {
  description: "A site's domain name and the decision on it (operators)",
})
export class DomainNameModel {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  siteId!: string;

  @Field(() => String, { description: 'The virtual host that answers as it' })
  vhost!: string;

  @Field(() => String)
  name!: string;

  @Field(() => DomainNameStatusEnum)
  status!: DomainNameStatusEnum;

  @Field(() => String, { description: 'User id of the site admin who added it' })
  requestedBy!: string;

  @Field(() => GraphQLISODateTime)
  requestedAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'The operator who decided, or `system` for a name inside the organisation',
  })
  decidedBy!: string | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  decidedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was rejected' })
  reason!: string | null;
}

@ObjectType('DomainNameEdge')
export class DomainNameEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => DomainNameModel)
  node!: DomainNameModel;
}

@ObjectType('DomainNameConnection', { description: 'Domain names, oldest request first' })
export class DomainNameConnection {
  @Field(() => [DomainNameEdge])
  edges!: DomainNameEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
