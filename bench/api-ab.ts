import { type ChildProcess, execFileSync, fork, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDatabase } from '../test/helpers/databases';
import { runBenchmark } from './harness';
import { runHttpLoad } from './http-load';
import { processCpuMs } from './proc-cpu';
import { printResult, printTable, ratio } from './report';
import { seed, seededSites } from './site-seed';

/**
 * Compares the api's CPU per request between an earlier commit (A) and this checkout (B), for
 * one question: did a change make the api cheaper? On a shared two-core machine one run of a
 * benchmark moves by tens of percent, and two processes running the same code differ by 5-10%
 * (measured), so this:
 * - runs both apis at once, each in its own process, on one seeded PostgreSQL;
 * - loads them in turns (32 closed-loop clients, a warm-up, then a timed round), A then B, then B
 *   then A, so a slow spell of the machine weighs on both;
 * - reads each api process's own CPU time from /proc around each round;
 * - starts fresh processes for each of several pairs (a process's JIT and memory layout is one
 *   more source of difference), and prints each pair's ratio and the pooled one.
 * B/A below 1 means B spends less CPU per request. Usage:
 *   npx node -r @swc-node/register bench/api-ab.ts <commit> [query...]
 * with queries among those below (default: sites). A is a git worktree of <commit> in a temporary
 * folder (with its own packages if its package-lock.json differs), served by this checkout's
 * api-ab-server.ts, so <commit> needs an api whose createApi takes what this one passes.
 */

const queries: Record<string, string> = {
  /** The sites-list benchmark's request. */
  sites: `{ sites(first: 50) { edges { node { id name status hostname ipv4 } } pageInfo { endCursor } totalCount } }`,
  /** A request that reaches no resolver: the HTTP, Nest, Apollo and authentication path alone. */
  typename: '{ __typename }',
  /** One statement, one row: the cost of a resolver and its database round trip. */
  count: '{ sites(first: 1) { totalCount } }',
};
const pairs = Number(process.env.BERTH_AB_PAIRS ?? 3);
const roundsPerPair = 2;
const load = { clients: 32, warmUpMs: 1_000, durationMs: 4_000 };

interface Side {
  child: ChildProcess;
  url: string;
  token: string;
}

function cpuMs(pid: number): number {
  const ms = processCpuMs(pid);
  if (ms === null) throw new Error(`process ${pid} has gone`);
  return ms;
}

async function startSide(tree: string, database: unknown): Promise<Side> {
  const child = fork(join(tree, 'bench/api-ab-server.ts'), [], {
    cwd: tree,
    execArgv: ['-r', '@swc-node/register'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BERTH_AB_DATABASE: JSON.stringify(database) },
  });
  const ready = await new Promise<{ url: string; token: string }>((done, fail) => {
    child.once('message', (message) => done(message as { url: string; token: string }));
    child.once('exit', (code) => fail(new Error(`the api of ${tree} exited with ${code}`)));
  });
  return { child, ...ready };
}

runBenchmark('api-ab', 20 * 60_000, async (defer) => {
  const [commit, ...asked] = process.argv.slice(2);
  if (!commit) throw new Error('usage: bench/api-ab.ts <commit> [query...]');
  const names = asked.length ? asked : ['sites'];
  for (const name of names) if (!queries[name]) throw new Error(`no query ${name}`);
  const here = resolve(__dirname, '..');

  const base = mkdtempSync(join(tmpdir(), 'berth-ab-'));
  const tree = join(base, 'a');
  execFileSync('git', ['-C', here, 'worktree', 'add', '--detach', tree, commit], {
    stdio: 'ignore',
  });
  defer('the worktree', () => {
    execFileSync('git', ['-C', here, 'worktree', 'remove', '--force', tree], { stdio: 'ignore' });
    rmSync(base, { recursive: true, force: true });
    return Promise.resolve();
  });
  // The same packages as here are shared; different ones are installed for A (a minute or so).
  const samePackages =
    spawnSync('git', ['-C', here, 'diff', '--quiet', commit, '--', 'package-lock.json']).status ===
    0;
  if (samePackages) symlinkSync(join(here, 'node_modules'), join(tree, 'node_modules'));
  else execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: tree, stdio: 'ignore' });
  if (existsSync(join(here, 'tools'))) symlinkSync(join(here, 'tools'), join(tree, 'tools'));
  copyFileSync(join(here, 'bench/api-ab-server.ts'), join(tree, 'bench/api-ab-server.ts'));
  copyFileSync(join(here, 'bench/production-env.ts'), join(tree, 'bench/production-env.ts'));

  const db = await startDatabase('postgresql');
  defer('PostgreSQL', () => db.stop());
  await seed(db);
  console.log(`seeded ${seededSites} sites; A = ${commit}, B = this checkout`);

  const cpu: Record<string, { A: number[]; B: number[]; perSecond: { A: number[]; B: number[] } }> =
    {};
  const pairRatios: Record<string, number[]> = {};
  for (let pair = 0; pair < pairs; pair++) {
    const sides = { A: await startSide(tree, db.database), B: await startSide(here, db.database) };
    for (const side of Object.values(sides)) {
      defer('an api', () => Promise.resolve(side.child.kill()));
    }
    for (const name of names) {
      const figures = (cpu[name] ??= { A: [], B: [], perSecond: { A: [], B: [] } });
      const used = { A: { ms: 0, requests: 0 }, B: { ms: 0, requests: 0 } };
      for (let round = 0; round < roundsPerPair; round++) {
        const order = (round + pair) % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const);
        for (const which of order) {
          const side = sides[which];
          const before = cpuMs(side.child.pid!);
          const result = await runHttpLoad({
            url: `${side.url}/graphql`,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${side.token}` },
            body: JSON.stringify({ query: queries[name] }),
            errorMarker: '"errors"',
            ...load,
          });
          if (result.errors) throw new Error(`${which} answered errors: ${result.firstError}`);
          used[which].ms += cpuMs(side.child.pid!) - before;
          used[which].requests += result.warmUpRequests + result.requests;
          figures.perSecond[which].push(result.perSecond);
        }
      }
      for (const which of ['A', 'B'] as const) {
        figures[which].push(used[which].ms / used[which].requests);
      }
      (pairRatios[name] ??= []).push(
        Number(ratio(figures.B.at(-1)!, figures.A.at(-1)!).toFixed(3)),
      );
    }
    for (const side of Object.values(sides)) side.child.kill();
  }

  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const rows = names.map((name) => {
    const figures = cpu[name]!;
    return {
      query: name,
      a_cpu_ms: Number(mean(figures.A).toFixed(3)),
      b_cpu_ms: Number(mean(figures.B).toFixed(3)),
      b_over_a_cpu: Number(ratio(mean(figures.B), mean(figures.A)).toFixed(3)),
      per_pair: pairRatios[name]!.join(' '),
      a_per_s: Math.round(mean(figures.perSecond.A)),
      b_per_s: Math.round(mean(figures.perSecond.B)),
    };
  });
  printTable(
    `api CPU per request, ${pairs} pairs of processes, ${roundsPerPair} rounds each`,
    rows,
  );
  printResult('api-ab', { commit, pairs, roundsPerPair, load, rows });
});
