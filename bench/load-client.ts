import { Agent, request as httpRequest } from 'node:http';
import { machineCpu, processCpuMs, processTreeCpuMs } from './proc-cpu';
import { summarise } from './stats';

/**
 * The load generator of bench/http-load.ts, run as its own process so that it does not share an
 * event loop with the server it measures. Reads its job from BENCH_LOAD (JSON), prints one JSON
 * line of results.
 */

export interface LoadJob {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  clients: number;
  warmUpMs: number;
  durationMs: number;
  /** A response body containing this text counts as an error (GraphQL answers 200 with errors). */
  errorMarker?: string;
  /**
   * Processes whose CPU time to read over the measured time: the server's, and the database
   * server's (PostgreSQL's postmaster, whose backends are its children).
   */
  watch?: { serverPid?: number; databasePid?: number };
}

export interface LoadResult {
  /** Requests answered during the warm-up, which are not in the figures. */
  warmUpRequests: number;
  requests: number;
  errors: number;
  firstError: string | null;
  seconds: number;
  perSecond: number;
  latencyMs: ReturnType<typeof summarise>;
  /** Every measured request's latency (ms), so that several runs can be summarised together. */
  samples: number[];
  /** Where the machine's CPU went during the measured time (not the warm-up); Linux only. */
  cpu: CpuWindow | null;
}

/**
 * CPU time over the measured time, in milliseconds: the machine's busy time (every process, every
 * core), this load client's, and the watched server's and database's (null when not watched or
 * not readable). What the machine spent beyond those three went to everything else on it: the
 * kernel's loopback networking between them, and any other process. Busy time near `cores`
 * times `wallMs` means the machine, not the server alone, set the throughput.
 */
export interface CpuWindow {
  wallMs: number;
  cores: number;
  machineBusyMs: number;
  clientMs: number;
  serverMs: number | null;
  databaseMs: number | null;
}

function clientCpuMs(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

/**
 * One request on a kept-alive connection, its body read as text. Node's http client rather than
 * fetch: it costs this process about half the CPU per request, and every millisecond the load
 * client spends is one the server under test does not get on a small machine.
 */
function send(job: LoadJob, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...job.headers };
    if (job.body !== undefined) headers['content-length'] = String(Buffer.byteLength(job.body));
    const request = httpRequest(job.url, { method: job.method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(job.body);
  });
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.BENCH_LOAD ?? '') as LoadJob;
  const latencies: number[] = [];
  let warmUpRequests = 0;
  let errors = 0;
  let firstError: string | null = null;
  const warmUpEnds = performance.now() + job.warmUpMs;
  const ends = warmUpEnds + job.durationMs;

  const agent = new Agent({ keepAlive: true, maxSockets: job.clients });
  const client = async () => {
    for (;;) {
      const started = performance.now();
      if (started >= ends) return;
      let failure: string | null = null;
      try {
        const response = await send(job, agent);
        const text = response.body;
        if (response.status !== 200) failure = `HTTP ${response.status}: ${text.slice(0, 300)}`;
        else if (job.errorMarker && text.includes(job.errorMarker)) failure = text.slice(0, 300);
      } catch (error) {
        failure = String(error);
      }
      const finished = performance.now();
      if (started < warmUpEnds) {
        warmUpRequests++;
      } else if (finished <= ends) {
        latencies.push(finished - started);
        if (failure !== null) {
          errors++;
          firstError ??= failure;
        }
      }
    }
  };
  // The CPU counters at the start and end of the measured time, so that the window is the one the
  // latencies are counted in. The end is taken when the clients finish if that comes first: the
  // last response can arrive after the window's end and before the timer runs.
  const snapshot = () => ({
    machine: machineCpu(),
    client: clientCpuMs(),
    server: job.watch?.serverPid === undefined ? null : processCpuMs(job.watch.serverPid),
    database: job.watch?.databasePid === undefined ? null : processTreeCpuMs(job.watch.databasePid),
    at: performance.now(),
  });
  let windowStart: ReturnType<typeof snapshot> | undefined;
  let windowEnd: ReturnType<typeof snapshot> | undefined;
  const startTimer = setTimeout(
    () => (windowStart = snapshot()),
    Math.max(0, warmUpEnds - performance.now()),
  );
  const endTimer = setTimeout(
    () => (windowEnd ??= snapshot()),
    Math.max(0, ends - performance.now()),
  );
  await Promise.all(Array.from({ length: job.clients }, client));
  windowEnd ??= snapshot();
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  const difference = (a: number | null, b: number | null) =>
    a === null || b === null ? null : b - a;
  const cpu: CpuWindow | null =
    windowStart?.machine && windowEnd.machine
      ? {
          wallMs: windowEnd.at - windowStart.at,
          cores: windowEnd.machine.cores,
          machineBusyMs: windowEnd.machine.busyMs - windowStart.machine.busyMs,
          clientMs: windowEnd.client - windowStart.client,
          serverMs: difference(windowStart.server, windowEnd.server),
          databaseMs: difference(windowStart.database, windowEnd.database),
        }
      : null;
  const seconds = job.durationMs / 1000;
  const result: LoadResult = {
    warmUpRequests,
    requests: latencies.length,
    errors,
    firstError,
    seconds,
    perSecond: latencies.length / seconds,
    latencyMs: summarise(latencies),
    samples: latencies.map((ms) => Math.round(ms * 100) / 100),
    cpu,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`load client failed: ${String(error)}\n`);
  process.exit(1);
});
