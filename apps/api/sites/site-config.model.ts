import { Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { type SiteRoleName } from '../../../libs/domain';
import { VhostNameModel } from '../domains/domain-name.model';

export enum SiteRoleEnum {
  ADMIN = 'admin',
  SSH_USER = 'ssh-user',
}
registerEnumType(SiteRoleEnum, {
  name: 'SiteRoleName',
  description: 'ADMIN manages the site and logs in to its servers; SSH_USER only logs in',
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const siteRoleMatchesDomain: Same<`${SiteRoleEnum}`, SiteRoleName> = true;

@ObjectType('Vhost', { description: 'A virtual host of the site (Apache on its server)' })
export class VhostModel {
  @Field(() => String, { description: 'One DNS label; the web root is /var/www/<name>' })
  name!: string;

  @Field(() => String, { description: 'The domain name it answers as' })
  serverName!: string;

  @Field(() => [String])
  aliases!: string[];

  @Field(() => [VhostNameModel], {
    description:
      'The server name, then the aliases, each with its status: the server serves approved names only, and the virtual host only while its server name is approved',
  })
  names!: VhostNameModel[];

  @Field(() => String)
  webRoot!: string;

  @Field(() => Boolean, {
    description: 'The default virtual host of the server’s host name; it cannot be removed',
  })
  isDefault!: boolean;
}

@ObjectType('SiteRoleGrant', { description: 'A role on the site, granted to a user' })
export class SiteRoleGrantModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The user id, which is also the login name on servers' })
  user!: string;

  @Field(() => SiteRoleEnum)
  role!: SiteRoleEnum;

  @Field(() => String)
  grantedBy!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}

@ObjectType('SiteGroupRoleGrant', {
  description:
    "A role on the site, granted to a directory group: its members' as the directory lists them",
})
export class SiteGroupRoleGrantModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The directory group' })
  group!: string;

  @Field(() => SiteRoleEnum)
  role!: SiteRoleEnum;

  @Field(() => String)
  grantedBy!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;
}

@ObjectType('SiteUnixGroup', {
  description:
    "A unix group the site's admins keep on its servers; members who are no longer site users are left out there",
})
export class SiteUnixGroupModel {
  @Field(() => String)
  name!: string;

  @Field(() => [String], { description: 'User ids, sorted' })
  members!: string[];

  @Field(() => String)
  createdBy!: string;
}
