import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Principal } from '../../../libs/auth/principal';
import { type Em, forkEm, type Orm } from '../../../libs/db/orm';
import { AuditEvent, Site, SiteNote } from '../../../libs/domain';
import { SiteNotFoundError } from '../sites/change-site.payload';
import { ORM } from '../tokens';
import { type AddSiteNoteInput, type DeleteSiteNoteInput } from './site-note.inputs';
import { type SiteNoteModel } from './site-note.model';
import {
  type AddSiteNoteResult,
  DeleteSiteNotePayload,
  type DeleteSiteNoteResult,
  SiteNoteNotFoundError,
  SiteNotePayload,
} from './site-note.payload';

/**
 * Operators' notes on sites. Each change and its audit event are written in one transaction. The
 * audit goes to `audit_event`, the operators' log, rather than to the site's own log, which its
 * admins read: a note's text is for operators. A deleted note's text stays in its audit event.
 */
@Injectable()
export class SiteNotesService {
  constructor(@Inject(ORM) private readonly orm: Orm) {}

  async add(principal: Principal, input: AddSiteNoteInput): Promise<AddSiteNoteResult> {
    const em = forkEm(this.orm);
    if ((await em.count(Site, { id: input.siteId })) === 0) {
      return new SiteNotFoundError('no such site');
    }
    const note = new SiteNote({
      id: randomUUID(),
      siteId: input.siteId,
      author: principal.userId,
      body: input.body,
    });
    em.persist(note);
    audit(em, principal, 'site-note.added', note, `note ${note.id} added: ${note.body}`);
    // One transaction of two inserts: the note is never without its audit event.
    await em.flush();
    return Object.assign(new SiteNotePayload(), { note: toSiteNoteModel(note) });
  }

  /** Any operator may delete any note: notes are the operators' shared record. */
  async delete(principal: Principal, input: DeleteSiteNoteInput): Promise<DeleteSiteNoteResult> {
    const note = await forkEm(this.orm).findOne(
      SiteNote,
      { id: input.id },
      { disableIdentityMap: true },
    );
    if (!note) return new SiteNoteNotFoundError('no such note');
    // The delete comes first, so the transaction is all writes (on SQLite one that reads first
    // fails at once when another writer commits meanwhile). A concurrent delete of the same note
    // deletes nothing here, and so audits nothing.
    const deleted = await forkEm(this.orm).transactional(async (tx) => {
      if ((await tx.nativeDelete(SiteNote, { id: note.id })) === 0) return false;
      audit(
        tx,
        principal,
        'site-note.deleted',
        note,
        `note ${note.id} by ${note.author} of ${note.createdAt.toISOString()} deleted: ${note.body}`,
      );
      return true;
    });
    if (!deleted) return new SiteNoteNotFoundError('no such note');
    return Object.assign(new DeleteSiteNotePayload(), { id: note.id, siteId: note.siteId });
  }
}

export function toSiteNoteModel(note: SiteNote): SiteNoteModel {
  return {
    id: note.id,
    siteId: note.siteId,
    author: note.author,
    body: note.body,
    createdAt: note.createdAt,
  };
}

function audit(tx: Em, principal: Principal, action: string, note: SiteNote, summary: string) {
  tx.persist(
    new AuditEvent({
      id: randomUUID(),
      actor: principal.userId,
      action,
      target: note.siteId,
      summary: summary.slice(0, 2000),
    }),
  );
}
