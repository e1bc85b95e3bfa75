import { Field, ID, InputType } from '@nestjs/graphql';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsEnum,
  IsNotIn,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { debianPackagePattern, maxPackageNameLength } from '../../../libs/domain';
import { directoryNamePattern } from '../../../libs/auth/principal';
import { SiteRoleEnum } from './site-config.model';
import { IdempotencyKeyField } from '../graphql/idempotency-key';

/** A lower-case DNS name of at least two labels, nothing else (no wildcards, no trailing dot). */
const domainName =
  /^(?=.{4,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
/** Login names on the servers: what useradd accepts without surprises. */
export const userIdPattern = /^[a-z][a-z0-9_-]{0,31}$/;

@InputType({ isAbstract: true })
class SiteConfigChange {
  @Field(() => ID)
  @IsUUID('4')
  siteId!: string;

  @IdempotencyKeyField()
  idempotencyKey?: string;
}

@InputType('AliasInput')
export class AliasInput {
  @Field(() => String)
  @IsString()
  @Matches(domainName, { message: 'an alias must be a lower-case domain name' })
  name!: string;
}

@InputType('AddVhostInput', { description: 'A new virtual host; its server is configured again' })
export class AddVhostInput extends SiteConfigChange {
  @Field(() => String, { description: 'One lower-case DNS label, not `default` or `html`' })
  @IsString()
  @Length(1, 63)
  @Matches(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
    message: 'name must be one lower-case DNS label: letters, digits and inner hyphens',
  })
  // Its web root would be /var/www/html, Debian's own, which holds the packaged default page.
  @IsNotIn(['html'], { message: 'name html is kept: /var/www/html is Debian’s own web root' })
  name!: string;

  @Field(() => String, {
    description:
      "The domain name it answers as. Outside the organisation's zones, it waits for an operator's approval, and the virtual host is served once it is approved",
  })
  @IsString()
  @Matches(domainName, { message: 'serverName must be a lower-case domain name' })
  serverName!: string;

  @Field(() => [AliasInput], {
    nullable: true,
    description:
      "Further names (at most 20); each outside the organisation's zones is served once an operator approves it",
  })
  @IsOptional()
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => AliasInput)
  aliases?: AliasInput[];
}

@InputType('RemoveVhostInput')
export class RemoveVhostInput extends SiteConfigChange {
  @Field(() => String)
  @IsString()
  @Length(1, 63)
  @Matches(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { message: 'name must be one DNS label' })
  name!: string;
}

@InputType({ isAbstract: true })
class VhostNameChange extends SiteConfigChange {
  @Field(() => String, { description: 'The virtual host (not `default`)' })
  @IsString()
  @Length(1, 63)
  @Matches(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, { message: 'vhost must be one DNS label' })
  vhost!: string;

  @Field(() => String)
  @IsString()
  @Matches(domainName, { message: 'name must be a lower-case domain name' })
  name!: string;
}

@InputType('AddVhostAliasInput', {
  description:
    "A further name for a virtual host: served at once inside the organisation's zones, after an operator's approval outside them",
})
export class AddVhostAliasInput extends VhostNameChange {}

@InputType('RemoveVhostAliasInput', { description: 'Frees one of a virtual host’s aliases' })
export class RemoveVhostAliasInput extends VhostNameChange {}

@InputType('SetVhostServerNameInput', {
  description:
    'Makes an approved alias the virtual host’s server name; the server name it had becomes an alias',
})
export class SetVhostServerNameInput extends VhostNameChange {}

@InputType('SitePackageInput', {
  description:
    "A system package from the operators' allow-list (allowedPackages) for the site's servers; they are configured again",
})
export class SitePackageInput extends SiteConfigChange {
  @Field(() => String, { description: 'A Debian package name on the allow-list' })
  @IsString()
  @MaxLength(maxPackageNameLength)
  @Matches(debianPackagePattern, { message: 'name must be a Debian package name' })
  name!: string;
}

@InputType('SiteUnixGroupInput', {
  description:
    "A unix group on the site's servers, made or replaced with exactly these members; they are configured again",
})
export class SiteUnixGroupInput extends SiteConfigChange {
  @Field(() => String, {
    description:
      "Like a login name: a lower-case letter, then letters, digits, _ or -; not a user's, a role-holding directory group's or a system group's",
  })
  @IsString()
  @Matches(userIdPattern, { message: 'name must be like a login name' })
  name!: string;

  @Field(() => [String], { description: "User ids of the site's users (at most 200)" })
  @ArrayMaxSize(200)
  @IsString({ each: true })
  @Matches(userIdPattern, { each: true, message: 'each member must be a user id' })
  members!: string[];
}

@InputType('RemoveSiteUnixGroupInput')
export class RemoveSiteUnixGroupInput extends SiteConfigChange {
  @Field(() => String)
  @IsString()
  @Matches(userIdPattern, { message: 'name must be like a login name' })
  name!: string;
}

@InputType('SiteRoleInput', {
  description:
    "Grants or revokes a user's or a directory group's role on a site; its servers are configured again",
})
export class SiteRoleInput extends SiteConfigChange {
  @Field(() => String, {
    nullable: true,
    description: 'The user id (the login name on the servers); give this or `group`',
  })
  @IsOptional()
  @IsString()
  @Matches(userIdPattern, {
    message: 'user must be a login name: a lower-case letter, then letters, digits, _ or -',
  })
  user?: string;

  @Field(() => String, {
    nullable: true,
    description:
      'A directory group: its members hold the role, as the directory lists them at each check; give this or `user`',
  })
  @IsOptional()
  @IsString()
  @Matches(directoryNamePattern, {
    message: 'group must be a directory group name: lower-case letters, digits, ., _ or -',
  })
  group?: string;

  @Field(() => SiteRoleEnum)
  @IsEnum(SiteRoleEnum)
  role!: SiteRoleEnum;
}
