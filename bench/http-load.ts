import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type LoadJob, type LoadResult } from './load-client';

/**
 * Runs `job.clients` closed-loop HTTP clients against one URL from a separate process (see
 * load-client.ts) and returns what they measured. The child is killed if it overruns.
 */
export async function runHttpLoad(job: LoadJob): Promise<LoadResult> {
  const child = spawn(
    process.execPath,
    ['-r', '@swc-node/register', join(__dirname, 'load-client.ts')],
    {
      env: { ...process.env, BENCH_LOAD: JSON.stringify(job) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // Start-up (compiling through SWC) plus the run, plus slack for the last responses.
  const limitMs = job.warmUpMs + job.durationMs + 30_000;
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) {
    throw new Error(`load client exited with ${String(code)} after <= ${limitMs} ms: ${stderr}`);
  }
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as LoadResult;
}
