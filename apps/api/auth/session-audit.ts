import { randomUUID } from 'node:crypto';
import { AuditEvent } from '../../../libs/domain';

/** An audit row about a login session: logging in and out, ending one through GraphQL. */
export function sessionAudit(
  actor: string,
  action: 'session.created' | 'session.ended',
  sessionId: string,
  summary: string,
): AuditEvent {
  return new AuditEvent({ id: randomUUID(), actor, action, target: sessionId, summary });
}
