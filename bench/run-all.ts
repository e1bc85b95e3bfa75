import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { printTable, resultPrefix } from './report';

/**
 * Runs every benchmark once, one after another, each in its own process (they start their own
 * servers and must not share a machine's two cores with each other), then prints one line per
 * benchmark and one JSON line with all results. `npx node -r @swc-node/register bench/run-all.ts
 * [name...]` runs only the named ones.
 */

const benchmarks = ['time-to-site', 'provision-throughput', 'sites-list', 'worker-kill'] as const;
/** Each benchmark bounds itself; this is the backstop if one hangs anyway. */
const childLimitMs = 8 * 60_000;

interface Outcome {
  name: string;
  exitCode: number | null;
  seconds: number;
  result: Record<string, unknown> | null;
}

let current: ChildProcess | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // The benchmark stops its own servers on this signal.
    current?.kill(signal);
    process.exitCode = 130;
  });
}

async function run(name: string): Promise<Outcome> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(__dirname, `${name}.ts`)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  current = child;
  let result: Record<string, unknown> | null = null;
  let pending = '';
  child.stdout.on('data', (chunk: Buffer) => {
    process.stdout.write(chunk);
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(resultPrefix)) {
        result = JSON.parse(line.slice(resultPrefix.length)) as Record<string, unknown>;
      }
    }
  });
  const timer = setTimeout(() => {
    console.error(`run-all: ${name} overran ${childLimitMs} ms, sending SIGTERM`);
    child.kill('SIGTERM');
  }, childLimitMs);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  current = undefined;
  return { name, exitCode, seconds: (performance.now() - started) / 1000, result };
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(benchmarks as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}`);
  const outcomes: Outcome[] = [];
  for (const name of benchmarks.filter((n) => wanted.length === 0 || wanted.includes(n))) {
    console.log(`\n=== ${name} ===`);
    outcomes.push(await run(name));
    if (process.exitCode === 130) break;
  }
  printTable(
    'benchmarks',
    outcomes.map((o) => ({
      benchmark: o.name,
      exit: o.exitCode,
      seconds: o.seconds,
      result: o.result ? 'yes' : 'none',
    })),
  );
  console.log(
    `${resultPrefix}${JSON.stringify({ benchmark: 'all', results: outcomes.map((o) => o.result) })}`,
  );
  if (outcomes.some((o) => o.exitCode !== 0)) process.exitCode ||= 1;
}

main().catch((error: unknown) => {
  console.error('run-all failed:', error);
  process.exit(1);
});
