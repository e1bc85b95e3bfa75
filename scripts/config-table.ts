import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Setting, settings } from '../libs/config/settings';

/** The README's configuration table sits between these markers; tests compare it with the schema. */
export const tableStart = '<!-- config-table:start -->';
export const tableEnd = '<!-- config-table:end -->';

/**
 * The Markdown table of every setting in libs/config/settings.ts, with its columns padded the way
 * Prettier pads them, so that `npm run format` leaves the README's copy unchanged. (Widths are
 * counted in UTF-16 units, which matches Prettier for the ASCII text the settings use.)
 */
export function renderConfigTable(): string {
  const header = ['Variable', 'Default', 'Description'];
  const rows = Object.values<Setting>(settings).map((setting) =>
    [`\`${setting.env}\``, defaultText(setting), setting.description].map(escapeCell),
  );
  const widths = header.map((title, column) =>
    Math.max(3, title.length, ...rows.map((cells) => cells[column]!.length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  const rule = `| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** `readme` with the text between the markers replaced by `table`. */
export function replaceConfigTable(readme: string, table: string): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd);
  if (start === -1 || end < start) {
    throw new Error(`README.md needs the markers ${tableStart} and ${tableEnd}, in that order`);
  }
  return `${readme.slice(0, start + tableStart.length)}\n\n${table}\n\n${readme.slice(end)}`;
}

function defaultText(setting: Setting): string {
  if (setting.default !== undefined) {
    return setting.sensitive ? '(secret)' : `\`${setting.default}\``;
  }
  const text = setting.optional ? 'unset' : 'required';
  return setting.sensitive ? `${text} (secret)` : text;
}

/**
 * A pipe would end the cell, and outside code spans `<NAME>` would be read as an HTML tag and
 * vanish from the rendered page.
 */
function escapeCell(cell: string): string {
  return cell
    .split('`')
    .map((part, index) => (index % 2 === 0 ? part.replaceAll('<', '&lt;') : part))
    .join('`')
    .replaceAll('|', '\\|');
}

/** Prints the table; with --write, puts it into README.md between the markers. */
function main(argv: string[]): void {
  const table = renderConfigTable();
  if (!argv.includes('--write')) {
    process.stdout.write(`${table}\n`);
    return;
  }
  const readmePath = resolve(__dirname, '../README.md');
  writeFileSync(readmePath, replaceConfigTable(readFileSync(readmePath, 'utf8'), table));
  process.stdout.write(`updated the configuration table in ${readmePath}\n`);
}

if (require.main === module) main(process.argv.slice(2));
