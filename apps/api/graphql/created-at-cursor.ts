import { badUserInput } from './graphql-errors';

/** Where a row sorted by (createdAt, id) is in its list. */
export interface CreatedAtPosition {
  createdAt: Date;
  id: string;
}

/**
 * The cursors of a list sorted newest first by (createdAt, id): base64url JSON
 * `[list, createdAt in ms, id]`. Decoding refuses, as BAD_USER_INPUT on `after`, any text that is
 * not such a cursor of this very list, so one list's cursor never pages another.
 */
export function createdAtCursor(list: string) {
  const decode = (text: string): CreatedAtPosition => {
    try {
      const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
      if (
        Array.isArray(value) &&
        value.length === 3 &&
        value[0] === list &&
        Number.isSafeInteger(value[1]) &&
        // Beyond this a Date is invalid (ECMAScript's range: 100,000,000 days either way).
        Math.abs(value[1] as number) <= 8.64e15 &&
        typeof value[2] === 'string'
      ) {
        return { createdAt: new Date(value[1] as number), id: value[2] };
      }
    } catch {
      // Reported below.
    }
    throw badUserInput([{ field: 'after', message: 'not a cursor this API returned' }]);
  };
  return {
    encode(row: CreatedAtPosition): string {
      return Buffer.from(JSON.stringify([list, row.createdAt.getTime(), row.id])).toString(
        'base64url',
      );
    },
    decode,
    /** The rows after the cursor's, newest first, as a MikroORM filter. */
    after(text: string) {
      const cursor = decode(text);
      return {
        $or: [
          { createdAt: { $lt: cursor.createdAt } },
          { createdAt: cursor.createdAt, id: { $lt: cursor.id } },
        ],
      };
    },
  };
}
