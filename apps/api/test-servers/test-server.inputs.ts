import { Field, InputType } from '@nestjs/graphql';
import { Matches } from 'class-validator';
import { SiteChangeInput } from '../sites/change-site.input';

@InputType('RestoreBackupInput', {
  description: 'Restore a nightly backup of the site to a new test server',
})
export class RestoreBackupInput extends SiteChangeInput {
  @Field(() => String, { description: 'The backup, by its date: YYYY-MM-DD (UTC)' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be YYYY-MM-DD' })
  date!: string;
}
