import { badUserInput } from '../graphql/graphql-errors';

/** Opaque keyset cursor over (createdAt, id), newest first. */
export interface SiteCursor {
  createdAt: Date;
  id: string;
}

export function encodeSiteCursor(cursor: SiteCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString(
    'base64url',
  );
}

export function decodeSiteCursor(text: string): SiteCursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'string' &&
      typeof value[1] === 'string'
    ) {
      const createdAt = new Date(value[0]);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: value[1] };
    }
  } catch {
    // Reported below.
  }
  throw badUserInput([{ field: 'after', message: 'not a cursor this API returned' }]);
}
