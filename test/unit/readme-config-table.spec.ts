import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderConfigTable, replaceConfigTable } from '../../scripts/config-table';

const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

describe('README configuration table', () => {
  it('lists every setting exactly as libs/config/settings.ts defines it', () => {
    // On failure: `npm run config:table -- --write` puts the current table into README.md.
    expect(readme).toBe(replaceConfigTable(readme, renderConfigTable()));
  });
});

describe(renderConfigTable.name, () => {
  const rows = renderConfigTable().split('\n');
  const rowOf = (env: string) => rows.find((row) => row.startsWith(`| \`${env}\` `)) ?? '';

  it('shows a default as code, and says which settings are required or unset', () => {
    expect(rowOf('BERTH_PROFILE')).toMatch(/^\| `BERTH_PROFILE` +\| `embedded` +\|/);
    expect(rowOf('TEMPORAL_ADDRESS')).toMatch(/\| unset +\|/);
  });

  it('marks secrets and never prints their values', () => {
    expect(rowOf('BERTH_SECRET_KEY')).toMatch(/\| required \(secret\) +\|/);
    expect(rowOf('DATABASE_URL')).toMatch(/\| unset \(secret\) +\|/);
  });

  it('keeps placeholders outside code visible in rendered Markdown', () => {
    // A bare <NAME> would be read as an HTML tag and vanish; outside code spans it is escaped.
    for (const row of rows.slice(2)) {
      expect(row.replace(/`[^`]*`/g, '')).not.toMatch(/<[A-Za-z]/);
    }
    expect(rowOf('BERTH_PUBLIC_URL')).toContain('`http://<BERTH_API_HOST>:<BERTH_API_PORT>`');
  });
});

describe(replaceConfigTable.name, () => {
  it('replaces only the text between the markers', () => {
    const before =
      '# Title\n\n<!-- config-table:start -->\nold\n<!-- config-table:end -->\n\nEnd\n';
    expect(replaceConfigTable(before, '| new |')).toBe(
      '# Title\n\n<!-- config-table:start -->\n\n| new |\n\n<!-- config-table:end -->\n\nEnd\n',
    );
  });

  it('refuses a README without the markers', () => {
    expect(() => replaceConfigTable('# Title\n', '| new |')).toThrow(/config-table:start/);
  });
});
