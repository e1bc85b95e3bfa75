import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schemaText } from '../../apps/api/graphql/schema-text';

describe('schema.graphql', () => {
  it('matches the schema the code builds (run npm run schema:generate after changing it)', async () => {
    const committed = readFileSync(join(__dirname, '../../schema.graphql'), 'utf8');
    expect(await schemaText()).toBe(committed);
  });
});
