/**
 * Site data as ansible must read it: every string marked `__ansible_unsafe`, ansible's JSON form
 * of `!unsafe`. ansible-core (2.19 included) trusts strings from an extra-vars file as templates
 * and renders them when a task uses the variable, so a description of
 * `{{ lookup('pipe', 'id') }}` would run `id` on the controller; marked, it stays text.
 */
export type InertData =
  | null
  | boolean
  | number
  | { __ansible_unsafe: string }
  | InertData[]
  | {
      [key: string]: InertData;
    };

export function inertData(value: unknown): InertData {
  if (typeof value === 'string') return { __ansible_unsafe: value };
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('site data holds a number JSON cannot carry');
    return value;
  }
  if (Array.isArray(value)) return value.map(inertData);
  if (typeof value === 'object') {
    // Keys stay plain: ansible never renders a mapping's keys as templates.
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, inertData(item)]));
  }
  throw new TypeError(`site data holds a ${typeof value}, which JSON cannot carry`);
}

/** Every string in a value, for redaction. */
export function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}
