import { Field, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';
import { OperationModel } from '../operations/operation.model';
import { SiteStatusEnum } from './site-status.enum';

@ObjectType('Site', { description: 'A web site and the server that serves it' })
export class SiteModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => String, { description: 'User id of whoever requested the site' })
  owner!: string;

  @Field(() => String)
  contactEmail!: string;

  @Field(() => SiteStatusEnum)
  status!: SiteStatusEnum;

  @Field(() => String, { nullable: true, description: 'Purchase order or cost centre billed' })
  billingReference!: string | null;

  @Field(() => Boolean, { description: 'Renews at the end of its subscription year' })
  renews!: boolean;

  @Field(() => String, { nullable: true, description: "Fully qualified name of the site's server" })
  hostname!: string | null;

  @Field(() => String, { nullable: true })
  ipv4!: string | null;

  @Field(() => String, { nullable: true })
  ipv6!: string | null;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime)
  updatedAt!: Date;
}

@ObjectType('SiteEvent', { description: "One entry of a site's append-only audit log" })
export class SiteEventModel {
  @Field(() => ID)
  id!: string;

  @Field(() => GraphQLISODateTime)
  at!: Date;

  @Field(() => String)
  actor!: string;

  @Field(() => String)
  action!: string;

  @Field(() => String)
  summary!: string;

  @Field(() => String, { nullable: true })
  workflowId!: string | null;
}

@ObjectType('SiteEdge')
export class SiteEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => SiteModel)
  node!: SiteModel;
}

@ObjectType('PageInfo')
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType('SiteConnection', { description: 'Sites, newest first' })
export class SiteConnection {
  @Field(() => [SiteEdge])
  edges!: SiteEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Sites in the whole list, not just this page' })
  totalCount!: number;
}

@ObjectType('SiteEventEdge')
export class SiteEventEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => SiteEventModel)
  node!: SiteEventModel;
}

@ObjectType('SiteEventConnection', { description: "A site's audit log, oldest first" })
export class SiteEventConnection {
  @Field(() => [SiteEventEdge])
  edges!: SiteEventEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType('OperationEdge')
export class OperationEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => OperationModel)
  node!: OperationModel;
}

@ObjectType('OperationConnection', {
  description: "Operations (a site's, or the fleet's), newest first",
})
export class OperationConnection {
  @Field(() => [OperationEdge])
  edges!: OperationEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
