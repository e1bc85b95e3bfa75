import { ArgsType, Field, ID, InputType, Int } from '@nestjs/graphql';
import { IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { maxSiteNoteLength } from '../../../libs/domain';
import { RepeatedArgs } from '../graphql/validation.pipe';

@InputType('AddSiteNoteInput')
export class AddSiteNoteInput {
  @Field(() => ID)
  @IsUUID('4')
  siteId!: string;

  @Field(() => String, {
    description: `Plain text, 1 to ${maxSiteNoteLength} characters; new lines (\\n) but no other control characters`,
  })
  @IsString()
  @MaxLength(maxSiteNoteLength)
  @Matches(/\S/, { message: 'body must not be blank' })
  // Tabs, carriage returns, escapes and line separators read differently in every client that
  // shows the note; a newline is the one layout a note needs.
  @Matches(/^(?:[^\p{Cc}\u2028\u2029]|\n)*$/u, {
    message: 'body must not contain control characters other than newlines',
  })
  body!: string;
}

@InputType('DeleteSiteNoteInput')
export class DeleteSiteNoteInput {
  @Field(() => ID)
  @IsUUID('4')
  id!: string;
}

@ArgsType()
@RepeatedArgs()
export class SiteNotesArgs {
  @Field(() => Int, { defaultValue: 50, description: 'The newest this many notes, 1 to 200' })
  @Min(1)
  @Max(200)
  first = 50;
}
