import { type temporal } from '@temporalio/proto';

/** Where a secret shows in a history: its JSON, or any byte array in it (payload data). */
export function findInHistory(history: temporal.api.history.v1.IHistory, secret: string): string[] {
  const needles = [secret, Buffer.from(secret).toString('base64')];
  const found: string[] = [];
  const json = JSON.stringify(history);
  for (const needle of needles) if (json.includes(needle)) found.push(`JSON has ${needle}`);
  const seen = new Set<object>();
  const walk = (value: unknown, path: string): void => {
    if (value instanceof Uint8Array) {
      const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      for (const needle of needles) {
        if (bytes.includes(needle)) found.push(`${path} has ${needle}`);
        if (bytes.toString('base64').includes(needle)) found.push(`${path} (base64) has ${needle}`);
      }
      return;
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) return;
    seen.add(value);
    for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`);
  };
  walk(history, 'history');
  return found;
}
