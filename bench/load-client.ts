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
}

async function main(): Promise<void> {
  const job = JSON.parse(process.env.BENCH_LOAD ?? '') as LoadJob;
  const latencies: number[] = [];
  let warmUpRequests = 0;
  let errors = 0;
  let firstError: string | null = null;
  const warmUpEnds = performance.now() + job.warmUpMs;
  const ends = warmUpEnds + job.durationMs;

  const client = async () => {
    for (;;) {
      const started = performance.now();
      if (started >= ends) return;
      let failure: string | null = null;
      try {
        const response = await fetch(job.url, {
          method: job.method,
          headers: job.headers,
          body: job.body,
        });
        const text = await response.text();
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
  await Promise.all(Array.from({ length: job.clients }, client));
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
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`load client failed: ${String(error)}\n`);
  process.exit(1);
});
