import { Field, GraphQLISODateTime, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('SiteSnapshot', { description: 'A snapshot of the site’s server its admins took' })
export class SiteSnapshotModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'Who took it' })
  createdBy!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}
