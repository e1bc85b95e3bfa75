import { Field, InputType } from '@nestjs/graphql';
import { IsString, Matches } from 'class-validator';
import { snapshotNamePattern } from '../../../libs/domain/snapshot-names';
import { SiteChangeInput } from '../sites/change-site.input';

@InputType('SiteSnapshotInput', { description: 'A snapshot of a site’s server, by name' })
export class SiteSnapshotInput extends SiteChangeInput {
  @Field(() => String, {
    description:
      '1 to 50 lower-case letters, digits and hyphens, not a date (YYYY-MM-DD names are backups’)',
  })
  @IsString()
  @Matches(snapshotNamePattern, {
    message:
      'name must be 1 to 50 lower-case letters, digits and hyphens, not starting or ending with a hyphen',
  })
  name!: string;
}
