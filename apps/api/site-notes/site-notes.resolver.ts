import { Args, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { isOperator, type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { Loaders } from '../graphql/loaders.decorator';
import { type SiteChildLoaders } from '../sites/site-children.loader';
import { SiteModel } from '../sites/site.model';
import { AddSiteNoteInput, DeleteSiteNoteInput, SiteNotesArgs } from './site-note.inputs';
import { SiteNoteModel } from './site-note.model';
import { AddSiteNoteResult, DeleteSiteNoteResult } from './site-note.payload';
import { SiteNotesService } from './site-notes.service';

/** Operators' notes on a site: operators write and read them; nobody else sees them. */
@Resolver(() => SiteModel)
export class SiteNotesResolver {
  constructor(
    private readonly service: SiteNotesService,
    private readonly access: SiteAccessService,
  ) {}

  /**
   * Null, not an error, for anyone but an operator: a site's admins read their site with the
   * same queries as operators, and one field they may not see must not fail the whole read.
   */
  @ResolveField(() => [SiteNoteModel], {
    nullable: true,
    description: "Operators' notes, newest first (operators; null for anyone else)",
  })
  async notes(
    @CurrentPrincipal() principal: Principal,
    @Parent() site: SiteModel,
    @Args() args: SiteNotesArgs,
    @Loaders() loaders: SiteChildLoaders,
  ): Promise<SiteNoteModel[] | null> {
    if (!isOperator(principal)) return null;
    return (await loaders.notes.load({ siteId: site.id, first: args.first })).rows;
  }

  @Mutation(() => AddSiteNoteResult, { description: 'Write a note on a site (operators)' })
  addSiteNote(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: AddSiteNoteInput,
  ): Promise<AddSiteNoteResult> {
    this.requireOperatorWrite(principal);
    return this.service.add(principal, input);
  }

  @Mutation(() => DeleteSiteNoteResult, {
    description: "Delete a note, any operator's (operators; its text stays in the audit log)",
  })
  deleteSiteNote(
    @CurrentPrincipal() principal: Principal,
    @Args('input') input: DeleteSiteNoteInput,
  ): Promise<DeleteSiteNoteResult> {
    this.requireOperatorWrite(principal);
    return this.service.delete(principal, input);
  }

  private requireOperatorWrite(principal: Principal): void {
    this.access.requireScope(principal, 'sites:write');
    this.access.requireOperator(principal);
  }
}
