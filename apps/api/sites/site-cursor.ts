import { badUserInput } from '../graphql/graphql-errors';

/** The orders a site list can be read in; the cursor remembers which it was made for. */
export const siteOrders = ['CREATED_DESC', 'CREATED_ASC', 'NAME_ASC'] as const;
export type SiteOrder = (typeof siteOrders)[number];

/** Opaque keyset cursor: the order, the sort value of the last row, and its id. */
export interface SiteCursor {
  order: SiteOrder;
  value: string;
  id: string;
}

export function encodeSiteCursor(cursor: SiteCursor): string {
  return Buffer.from(JSON.stringify([cursor.order, cursor.value, cursor.id])).toString('base64url');
}

/** Refuses a cursor this API did not make, or one made for another order. */
export function decodeSiteCursor(text: string, order: SiteOrder): SiteCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 3 &&
      value[0] === order &&
      typeof value[1] === 'string' &&
      typeof value[2] === 'string' &&
      // A time order's position is the time an ISO string gave (an invalid one failed in SQL).
      (order === 'NAME_ASC' || isIsoTime(value[1]))
    ) {
      return { order, value: value[1], id: value[2] };
    }
  } catch {
    // Reported below.
  }
  throw badUserInput([
    { field: 'after', message: 'not a cursor this API returned for this order' },
  ]);
}

/** As toISOString writes a time of years 0000-9999 (PostgreSQL refuses wider ones). */
function isIsoTime(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(text)) return false;
  const time = new Date(text);
  return !Number.isNaN(time.getTime()) && time.toISOString() === text;
}

/** A cursor for an id-ordered child list (events, operations): the row's position. */
export function encodeChildCursor(kind: string, id: string): string {
  return Buffer.from(JSON.stringify([kind, id])).toString('base64url');
}

export function decodeChildCursor(text: string, kind: string): string {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value[0] === kind && typeof value[1] === 'string') return value[1];
  } catch {
    // Reported below.
  }
  throw badUserInput([{ field: 'after', message: 'not a cursor this API returned' }]);
}
