import { type Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { searchAttributes } from './names';

/**
 * Registers Berth's search attributes on a namespace, for a Temporal server that Berth did not
 * start itself. Attributes that exist already are left alone.
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.values(searchAttributes).filter((key) => !known.has(key.name));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((key) => [
        key.name,
        temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
}
