import './production-env';
import { exampleDirectoryFile } from '../activities/directory/create-directory';
import { FileDirectory } from '../activities/directory/file/file-directory';
import 'reflect-metadata';
import { DefaultLogger, type LogContext, type Platform } from '@mikro-orm/core';
import { Client, Connection } from '@temporalio/client';
import { createServer, type Server } from 'node:http';
import { Pool } from 'pg';
import { createApi } from '../apps/api/api';
import { isOperator } from '../libs/auth/principal';
import { mintDevToken, verifyDevToken } from '../libs/auth/dev-token';
import { type BerthConfig } from '../libs/config';
import { openOrm } from '../libs/db/orm';
import { createLogger } from '../libs/logger';
import { testConfig } from '../test/helpers/config';
import { startDatabase, type TestDatabase } from '../test/helpers/databases';
import { freePort } from '../test/helpers/free-port';
import { type Defer, once, runBenchmark } from './harness';
import { seed, seededSites } from './site-seed';
import { runHttpLoad } from './http-load';
import { type LoadResult } from './load-client';
import { parentPid } from './proc-cpu';
import { printResult, printTable, ratio } from './report';
import { summarise } from './stats';

/**
 * The operators' `sites(first: 50)` list over 10,000 sites on PostgreSQL through the GraphQL api,
 * against a hand-written node:http endpoint that runs the equivalent SQL with `pg`; and how many
 * SQL statements one GraphQL request issues, counted by the ORM's logger.
 */

const siteCount = seededSites;
const pageSize = 50;
const clients = 32;
/**
 * The two endpoints take turns, `rounds` times each, so that a slower spell of this shared
 * machine weighs on both alike (one long run after the other moved the ratio by a tenth).
 */
const rounds = 4;
const warmUpMs = 1_500;
const roundMs = 5_000;
/** A short run with one client shows the latency of a request that waits for no other. */
const unloadedMs = 3_000;
/**
 * Fewer clients than `clients`, in one short run each (so noisier than the rounds), for the
 * latency each endpoint gives as the load grows: with closed-loop clients the mean latency is
 * clients / throughput (Little's law), so the client count at which p99 stays under the target
 * says more than one figure at 32.
 */
const sweepClients = [4, 8, 16];
/** The api's ORM pool (knex's default, which MikroORM keeps) is at most 10 connections too. */
const baselinePoolSize = 10;
const targets = { ratio: 0.6, p99Ms: 50, statementsPerRequest: 5 };

const sitesQuery = /* GraphQL */ `
  query Sites {
    sites(first: ${pageSize}) {
      edges {
        node {
          id
          name
          status
          hostname
          ipv4
        }
      }
      pageInfo {
        endCursor
      }
      totalCount
    }
  }
`;

interface Page {
  ids: string[];
  totalCount: number;
}

/**
 * Counts every statement the ORM sends (each passes through logQuery, logged or not), and keeps
 * them, parameters inlined, while `captured` is set.
 */
class CountingLogger extends DefaultLogger {
  statements = 0;
  captured: string[] | undefined;
  platform: Platform | undefined;

  override logQuery(context: { query: string } & LogContext): void {
    this.statements++;
    if (this.captured && this.platform) {
      this.captured.push(this.platform.formatQuery(context.query, context.params ?? []));
    }
    super.logQuery(context);
  }
}

/** The baseline's two statements, also explained below. */
const baselinePageSql = `select s.id, s.name, s.status, s.created_at, n.hostname, n.ipv4
   from site s left join network_config n on n.site_id = s.id
  order by s.created_at desc, s.id desc
  limit $1`;
const baselineCountSql = 'select count(*)::int as total from site';

runBenchmark('sites-list', 170_000, async (defer) => {
  const db = await startDatabase('postgresql');
  defer('PostgreSQL', () => db.stop());
  const seedStarted = performance.now();
  await seed(db);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  console.log(`seeded ${siteCount} sites in ${seedSeconds.toFixed(1)} s`);

  const api = await startApi(db, defer);
  const baseline = await startBaseline(db, api.config, defer);
  const authorization = `Bearer ${mintDevToken(api.config.secretKey, {
    userId: 'olivia',
    operator: true,
    ttlSeconds: 3600,
  })}`;
  const graphqlRequest = {
    url: `${api.url}/graphql`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', authorization },
    body: JSON.stringify({ query: sitesQuery }),
  };
  const baselineRequest = {
    url: `${baseline.url}/sites?first=${pageSize}`,
    method: 'GET' as const,
    headers: { authorization },
  };

  // Both answer the same page, or the comparison means nothing.
  const graphqlPage = await fetchPage(graphqlRequest, (body) => (body as GraphQLSites).data.sites);
  const baselinePage = await fetchPage(baselineRequest, (body) => body as SitesPage);
  if (
    graphqlPage.totalCount !== siteCount ||
    JSON.stringify(graphqlPage.ids) !== JSON.stringify(baselinePage.ids)
  ) {
    throw new Error(
      `the two endpoints disagree: ${JSON.stringify({ graphqlPage, baselinePage }).slice(0, 500)}`,
    );
  }

  // Statements per request, one request at a time, then under load.
  const sequential = 20;
  api.logger.statements = 0;
  for (let i = 0; i < sequential; i++) {
    await fetchPage(graphqlRequest, (body) => (body as GraphQLSites).data.sites);
  }
  const statementsPerRequest = api.logger.statements / sequential;

  // Where the database time goes: each statement of one request, explained and run.
  api.logger.captured = [];
  await fetchPage(graphqlRequest, (body) => (body as GraphQLSites).data.sites);
  const graphqlSql = api.logger.captured;
  api.logger.captured = undefined;
  const explained = {
    graphql: await explainAll(baseline.pool, graphqlSql),
    baseline: await explainAll(baseline.pool, [
      baselinePageSql.replace('$1', String(pageSize + 1)),
      baselineCountSql,
    ]),
  };
  printTable('one request, each statement explained (PostgreSQL execution time)', [
    ...explained.graphql.map((e) => ({ run: 'graphql', ...e })),
    ...explained.baseline.map((e) => ({ run: 'baseline', ...e })),
  ]);

  // CPU is read over each run's measured time for this process (both servers live in it, and only
  // the one under load is busy) and for PostgreSQL.
  const watch = { serverPid: process.pid, databasePid: await postmasterPid(baseline.pool) };
  const load = { clients, warmUpMs, durationMs: roundMs, watch };
  const graphqlRounds: LoadResult[] = [];
  const handRounds: LoadResult[] = [];
  api.logger.statements = 0;
  for (let round = 0; round < rounds; round++) {
    const statementsBefore = api.logger.statements;
    const g = await runHttpLoad({ ...graphqlRequest, ...load, errorMarker: '"errors"' });
    // Only the GraphQL run sends statements through the api's ORM.
    if (api.logger.statements === statementsBefore) throw new Error('no statement counted');
    graphqlRounds.push(g);
    handRounds.push(await runHttpLoad({ ...baselineRequest, ...load }));
  }
  const graphql = pool(graphqlRounds);
  const hand = pool(handRounds);
  const statementsUnderLoad =
    api.logger.statements / Math.max(1, graphql.warmUpRequests + graphql.requests);
  printTable(
    'each round (req/s)',
    graphqlRounds.map((g, i) => ({
      round: i + 1,
      graphql: g.perSecond,
      baseline: handRounds[i]!.perSecond,
      ratio: ratio(g.perSecond, handRounds[i]!.perSecond),
    })),
  );
  const oneClient = { clients: 1, warmUpMs: 1_000, durationMs: unloadedMs, watch };
  const graphqlAlone = await runHttpLoad({
    ...graphqlRequest,
    ...oneClient,
    errorMarker: '"errors"',
  });
  const handAlone = await runHttpLoad({ ...baselineRequest, ...oneClient });
  const sweep = [];
  for (const [i, count] of sweepClients.entries()) {
    const few = { clients: count, warmUpMs: 1_000, durationMs: unloadedMs };
    const runGraphql = () => runHttpLoad({ ...graphqlRequest, ...few, errorMarker: '"errors"' });
    const runBaseline = () => runHttpLoad({ ...baselineRequest, ...few });
    // Taking turns at going first, as the rounds do.
    let g: LoadResult;
    let b: LoadResult;
    if (i % 2 === 0) {
      g = await runGraphql();
      b = await runBaseline();
    } else {
      b = await runBaseline();
      g = await runGraphql();
    }
    sweep.push(sweepRow(count, g, b));
  }
  sweep.push(sweepRow(clients, graphql, hand));

  const row = (run: string, r: LoadResult) => ({
    run,
    requests: r.requests,
    errors: r.errors,
    per_s: r.perSecond,
    p50_ms: r.latencyMs.p50,
    p99_ms: r.latencyMs.p99,
    max_ms: r.latencyMs.max,
    ...cpuBreakdown(r),
  });
  printTable(
    `sites(first: ${pageSize}) over ${siteCount} sites: ${clients} clients, ${rounds} rounds of ${roundMs / 1000} s each`,
    [
      row('graphql api', graphql),
      row('node:http + pg', hand),
      row('graphql api, 1 client', graphqlAlone),
      row('node:http + pg, 1 client', handAlone),
    ],
  );
  printTable(
    `latency as the clients grow (${unloadedMs / 1000} s runs; ${clients}: the rounds above)`,
    sweep,
  );
  const throughputRatio = ratio(graphql.perSecond, hand.perSecond);
  // The p99 target is in milliseconds, which depend on the machine, so the ratio to the baseline's
  // p99 from the same rounds is printed as well.
  const p99Ratio = ratio(graphql.latencyMs.p99, hand.latencyMs.p99);
  const met = {
    ratio: throughputRatio >= targets.ratio,
    p99: graphql.latencyMs.p99 <= targets.p99Ms,
    statements: statementsPerRequest <= targets.statementsPerRequest,
  };
  console.log(
    `graphql / baseline = ${throughputRatio.toFixed(2)} (target >= ${targets.ratio}: ${met.ratio ? 'met' : 'NOT met'}); ` +
      `graphql p99 ${graphql.latencyMs.p99.toFixed(1)} ms (target <= ${targets.p99Ms}: ${met.p99 ? 'met' : 'NOT met'}; ` +
      `${p99Ratio.toFixed(2)}x the baseline's ${hand.latencyMs.p99.toFixed(1)} ms); ` +
      `${statementsPerRequest} SQL statements per request (${statementsUnderLoad.toFixed(2)} under load; ` +
      `target <= ${targets.statementsPerRequest}: ${met.statements ? 'met' : 'NOT met'})`,
  );
  if (graphql.firstError) console.log(`first graphql error: ${graphql.firstError}`);
  if (hand.firstError) console.log(`first baseline error: ${hand.firstError}`);
  printResult('sites-list', {
    sites: siteCount,
    withNetwork: siteCount / 2,
    pageSize,
    clients,
    rounds,
    roundMs,
    seedSeconds,
    graphql: withoutSamples(graphql),
    baseline: withoutSamples(hand),
    roundRatios: graphqlRounds.map((g, i) => ratio(g.perSecond, handRounds[i]!.perSecond)),
    oneClient: { graphql: withoutSamples(graphqlAlone), baseline: withoutSamples(handAlone) },
    sweep,
    ratio: throughputRatio,
    p99Ratio,
    statementsPerRequest,
    statementsUnderLoad,
    explained,
    targets,
    met,
  });
});

/** One line of the latency sweep: both endpoints at one client count. */
function sweepRow(clients: number, graphql: LoadResult, baseline: LoadResult) {
  return {
    clients,
    graphql_per_s: graphql.perSecond,
    graphql_p50_ms: graphql.latencyMs.p50,
    graphql_p99_ms: graphql.latencyMs.p99,
    baseline_per_s: baseline.perSecond,
    baseline_p50_ms: baseline.latencyMs.p50,
    baseline_p99_ms: baseline.latencyMs.p99,
  };
}

/** Several runs of one endpoint as one: their requests, time and CPU added, latencies pooled. */
function pool(runs: LoadResult[]): LoadResult {
  const sum = (f: (run: LoadResult) => number) => runs.reduce((total, run) => total + f(run), 0);
  const sumOrNull = (f: (run: LoadResult) => number | null | undefined) =>
    runs.every((run) => typeof f(run) === 'number') ? sum((run) => f(run)!) : null;
  const samples = runs.flatMap((run) => run.samples);
  const requests = sum((run) => run.requests);
  const seconds = sum((run) => run.seconds);
  return {
    warmUpRequests: sum((run) => run.warmUpRequests),
    requests,
    errors: sum((run) => run.errors),
    firstError: runs.find((run) => run.firstError !== null)?.firstError ?? null,
    seconds,
    perSecond: requests / seconds,
    latencyMs: summarise(samples),
    samples,
    cpu: runs.every((run) => run.cpu)
      ? {
          wallMs: sum((run) => run.cpu!.wallMs),
          cores: runs[0]!.cpu!.cores,
          machineBusyMs: sum((run) => run.cpu!.machineBusyMs),
          clientMs: sum((run) => run.cpu!.clientMs),
          serverMs: sumOrNull((run) => run.cpu!.serverMs),
          databaseMs: sumOrNull((run) => run.cpu!.databaseMs),
        }
      : null,
  };
}

/**
 * Where one request's CPU went over the measured time (ms): the server, the load client,
 * PostgreSQL, and the rest of the machine (the kernel's loopback networking between them, and any
 * other process); and how many of the machine's cores were busy. Near all of them busy means the
 * machine, not the server alone, set the throughput.
 */
function cpuBreakdown(run: LoadResult): Record<string, number | string> {
  if (!run.cpu || run.requests === 0) return {};
  const { wallMs, cores, machineBusyMs, clientMs, serverMs, databaseMs } = run.cpu;
  const per = (ms: number | null) => (ms === null ? '' : ms / run.requests);
  return {
    server_cpu_ms_per_request: per(serverMs),
    client_cpu_ms_per_request: per(clientMs),
    database_cpu_ms_per_request: per(databaseMs),
    other_cpu_ms_per_request: per(machineBusyMs - clientMs - (serverMs ?? 0) - (databaseMs ?? 0)),
    cores_busy: `${(machineBusyMs / wallMs).toFixed(2)} of ${cores}`,
  };
}

/** PostgreSQL's postmaster: the parent of any of its backends, this pool's own included. */
async function postmasterPid(pool: Pool): Promise<number | undefined> {
  const { rows } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
  return parentPid(rows[0]!.pid) ?? undefined;
}

/** A result without its raw latencies, for the one JSON line. */
function withoutSamples({ samples: _samples, ...rest }: LoadResult): Omit<LoadResult, 'samples'> {
  return rest;
}

interface SitesPage {
  edges: { node: { id: string } }[];
  totalCount: number;
}

interface GraphQLSites {
  data: { sites: SitesPage };
}

async function fetchPage(
  request: { url: string; method: string; headers: Record<string, string>; body?: string },
  read: (body: unknown) => SitesPage,
): Promise<Page> {
  const response = await fetch(request.url, request);
  const text = await response.text();
  if (response.status !== 200 || text.includes('"errors"')) {
    throw new Error(`${request.url} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  const page = read(JSON.parse(text));
  return { ids: page.edges.map((edge) => edge.node.id), totalCount: page.totalCount };
}

/** The api on its own ORM, whose logger counts statements; no Temporal (a list never needs it). */
async function startApi(db: TestDatabase, defer: Defer) {
  const logger = { current: undefined as CountingLogger | undefined };
  const orm = await openOrm(db.database, {
    loggerFactory: (options) => (logger.current = new CountingLogger(options)),
  });
  defer('the api ORM', () => orm.close());
  const port = await freePort();
  const config = testConfig({
    database: db.database,
    // Never dialled: a lazy connection connects on first use, and listing sites does not use it.
    temporalAddress: `127.0.0.1:${await freePort()}`,
    apiPort: port,
  });
  const temporal = new Client({
    connection: Connection.lazy({ address: config.temporal.address }),
    namespace: config.temporal.namespace,
  });
  const app = await createApi({
    config,
    orm,
    temporal,
    log: createLogger({ level: 'silent', name: 'bench-api' }),
    directory: new FileDirectory(exampleDirectoryFile),
  });
  await app.listen(port, '127.0.0.1');
  defer('the api', () => app.close());
  if (!logger.current) throw new Error('the ORM did not create its logger');
  logger.current.platform = orm.em.getPlatform();
  return { config, url: `http://127.0.0.1:${port}`, logger: logger.current };
}

/**
 * The hand-written baseline: checks the same token, runs the page (joined to its addresses) and
 * the count with `pg`, and answers JSON shaped like the GraphQL response.
 */
async function startBaseline(db: TestDatabase, config: BerthConfig, defer: Defer) {
  if (db.database.driver !== 'postgresql') throw new Error('the baseline speaks PostgreSQL');
  const pool = new Pool({ connectionString: db.database.url, max: baselinePoolSize });
  defer('the baseline pool', () => pool.end());
  const server: Server = createServer((request, response) => {
    answer(request.url ?? '', request.headers.authorization).then(
      ({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ errors: [{ message: String(error) }] }));
      },
    );
  });
  const answer = async (
    url: string,
    authorization: string | undefined,
  ): Promise<{ status: number; body: unknown }> => {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
    let operator = false;
    try {
      operator = isOperator(verifyDevToken(config.secretKey, token));
    } catch {
      return { status: 401, body: { errors: [{ message: 'unauthenticated' }] } };
    }
    if (!operator) return { status: 403, body: { errors: [{ message: 'operators only' }] } };
    const first = Math.min(
      100,
      Math.max(1, Number(new URL(url, 'http://x').searchParams.get('first') ?? 20)),
    );
    const [page, count] = await Promise.all([
      pool.query<{
        id: string;
        name: string;
        status: string;
        created_at: Date;
        hostname: string | null;
        ipv4: string | null;
      }>(baselinePageSql, [first + 1]),
      pool.query<{ total: number }>(baselineCountSql),
    ]);
    const rows = page.rows.slice(0, first);
    const last = rows.at(-1);
    return {
      status: 200,
      body: {
        edges: rows.map((row) => ({
          node: {
            id: row.id,
            name: row.name,
            status: row.status.toUpperCase(),
            hostname: row.hostname,
            ipv4: row.ipv4,
          },
        })),
        pageInfo: {
          hasNextPage: page.rows.length > first,
          endCursor: last
            ? Buffer.from(
                JSON.stringify(['CREATED_DESC', last.created_at.toISOString(), last.id]),
              ).toString('base64url')
            : null,
        },
        totalCount: count.rows[0]!.total,
      },
    };
  };
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const close = once(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  defer('the baseline server', close);
  return { url: `http://127.0.0.1:${port}`, pool };
}

/** EXPLAIN ANALYZE of each statement: execution time, the plan's top node, the statement's start. */
async function explainAll(pool: Pool, statements: string[]) {
  const explained = [];
  for (const sql of statements) {
    const result = await pool.query<{
      'QUERY PLAN': [{ 'Execution Time': number; Plan: { 'Node Type': string } }];
    }>(`explain (analyze, format json) ${sql}`);
    const [plan] = result.rows[0]!['QUERY PLAN'];
    explained.push({
      ms: plan['Execution Time'],
      plan: plan.Plan['Node Type'],
      sql: sql.replace(/\s+/g, ' ').slice(0, 90),
    });
  }
  return explained;
}
