import { Field, GraphQLISODateTime, ID, ObjectType } from '@nestjs/graphql';

@ObjectType('SiteNote', { description: "An operator's note on a site (operators only)" })
export class SiteNoteModel {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  siteId!: string;

  @Field(() => String, { description: 'User id of the operator who wrote it' })
  author!: string;

  @Field(() => String, { description: 'Plain text; lines separated by \\n' })
  body!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}
