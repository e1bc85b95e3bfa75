import { round } from './stats';

export type Row = Record<string, string | number | boolean | null>;

/** A short aligned table on stdout, numbers rounded. */
export function printTable(title: string, rows: Row[]): void {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: Row[string] | undefined) =>
    typeof value === 'number' ? String(round(value)) : String(value ?? '');
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (cells: string[]) => cells.map((text, i) => text.padStart(widths[i]!)).join('  ');
  console.log(`\n${title}`);
  console.log(line(columns));
  for (const row of rows) console.log(line(columns.map((column) => cell(row[column]))));
}

/** Marks the one JSON line of a benchmark's results, so run-all can pick it out of the output. */
export const resultPrefix = 'BENCH_RESULT ';

/** Prints the benchmark's figures as one JSON line (numbers rounded). */
export function printResult(benchmark: string, figures: Record<string, unknown>): void {
  const rounded = JSON.parse(
    JSON.stringify({ benchmark, ...figures }, (_key, value: unknown) =>
      typeof value === 'number' ? round(value) : value,
    ),
  ) as Record<string, unknown>;
  console.log(`${resultPrefix}${JSON.stringify(rounded)}`);
}

/** `a / b`, for "Berth relative to its baseline" figures. */
export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}
