import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
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
 * CPU time over the measured time, in milliseconds: the whole machine's (every process, every
 * core) and this load client's own. With the server's own time, this tells how much of each
 * request was the server, the load client and the rest (the database), and whether the machine
 * was the limit (busy / wall near the number of cores).
 */
export interface CpuWindow {
  wallMs: number;
  cores: number;
  machineBusyMs: number;
  clientMs: number;
}

/** Busy and total CPU time of the whole machine so far (ms), from /proc/stat; null elsewhere. */
function machineCpu(): { busyMs: number; cores: number } | null {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  // "cpu  user nice system idle iowait irq softirq steal ...", in clock ticks (100 a second).
  const ticks = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  const total = ticks.slice(0, 8).reduce((sum, x) => sum + x, 0);
  const cores = stat.split('\n').filter((line) => /^cpu\d/.test(line)).length;
  return { busyMs: (total - idle) * 10, cores };
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
  // The CPU counters at the start and end of the measured time: timers, not the first and last
  // request, so that the window is the one the latencies are counted in. The end is taken when
  // the clients finish if that comes first (their last check of the time can run before the
  // timer does, in the same turn of the event loop).
  type Snapshot = { machine: ReturnType<typeof machineCpu>; client: number; at: number };
  const snapshot = (): Snapshot => ({
    machine: machineCpu(),
    client: clientCpuMs(),
    at: performance.now(),
  });
  let started: Snapshot | undefined;
  let ended: Snapshot | undefined;
  const startTimer = setTimeout(() => (started = snapshot()), job.warmUpMs);
  const endTimer = setTimeout(() => (ended ??= snapshot()), job.warmUpMs + job.durationMs);
  await Promise.all(Array.from({ length: job.clients }, client));
  ended ??= snapshot();
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  const cpu: CpuWindow | null =
    started?.machine && ended.machine
      ? {
          wallMs: ended.at - started.at,
          cores: ended.machine.cores,
          machineBusyMs: ended.machine.busyMs - started.machine.busyMs,
          clientMs: ended.client - started.client,
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
