import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('SiteAdminEmails', {
  description: "Where to write to the admins of live sites: a mailing list's recipients",
})
export class SiteAdminEmailsModel {
  @Field(() => Int, { description: 'Sites whose admins and contacts these are' })
  siteCount!: number;

  @Field(() => [String], {
    description:
      "Distinct addresses (ignoring case), sorted: each site's contact address, and the " +
      'directory address of each admin, those of admin groups included',
  })
  addresses!: string[];

  @Field(() => [String], {
    description: 'Admins (user ids) the directory does not know or holds no address for',
  })
  withoutAddress!: string[];
}
