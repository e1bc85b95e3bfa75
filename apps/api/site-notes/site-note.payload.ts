import { createUnionType, Field, ID, ObjectType } from '@nestjs/graphql';
import { UserError } from '../graphql/user-error';
import { SiteNotFoundError } from '../sites/change-site.payload';
import { SiteNoteModel } from './site-note.model';

@ObjectType('SiteNotePayload')
export class SiteNotePayload {
  @Field(() => SiteNoteModel)
  note!: SiteNoteModel;
}

@ObjectType('DeleteSiteNotePayload')
export class DeleteSiteNotePayload {
  @Field(() => ID, { description: 'The deleted note' })
  id!: string;

  @Field(() => ID, { description: 'Its site' })
  siteId!: string;
}

@ObjectType('SiteNoteNotFoundError', { implements: () => [UserError] })
export class SiteNoteNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'SITE_NOTE_NOT_FOUND', message, field: 'id' });
  }
}

export const AddSiteNoteResult = createUnionType({
  name: 'AddSiteNoteResult',
  types: () => [SiteNotePayload, SiteNotFoundError] as const,
  resolveType: (value: object) => value.constructor,
});
export type AddSiteNoteResult = SiteNotePayload | SiteNotFoundError;

export const DeleteSiteNoteResult = createUnionType({
  name: 'DeleteSiteNoteResult',
  types: () => [DeleteSiteNotePayload, SiteNoteNotFoundError] as const,
  resolveType: (value: object) => value.constructor,
});
export type DeleteSiteNoteResult = DeleteSiteNotePayload | SiteNoteNotFoundError;
