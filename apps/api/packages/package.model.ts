import { Field, GraphQLISODateTime, ObjectType } from '@nestjs/graphql';

@ObjectType('AllowedPackage', {
  description: "A system package operators allow on sites' servers",
})
export class AllowedPackageModel {
  @Field(() => String, { description: 'The Debian package name' })
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => String, { description: 'The operator who allowed it' })
  allowedBy!: string;

  @Field(() => GraphQLISODateTime)
  allowedAt!: Date;
}
