import { Field, GraphQLISODateTime, ObjectType } from '@nestjs/graphql';

@ObjectType('SiteBackup', {
  description: 'A nightly backup of the site’s server, kept by the retention policy',
})
export class SiteBackupModel {
  @Field(() => String, { description: 'The UTC date it was taken for, YYYY-MM-DD' })
  name!: string;

  @Field(() => GraphQLISODateTime)
  takenAt!: Date;
}
