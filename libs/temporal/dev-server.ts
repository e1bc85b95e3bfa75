import { Connection } from '@temporalio/client';
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { searchAttributeFlags } from './names';

export interface DevServerOptions {
  cli: string;
  port: number;
  /** Without one, the server runs without its UI. */
  uiPort?: number;
  /** Without one, the server keeps its state in memory. */
  dbFile?: string;
  namespace: string;
  /** Register Berth's search attributes at start (the default). */
  searchAttributes?: boolean;
  /** Where the server's own output goes. */
  onOutput?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Runs `temporal server start-dev` with its SQLite file and UI, and Berth's search attributes
 * registered, and waits until it answers.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    ...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...(options.dbFile === undefined ? [] : ['--db-filename', options.dbFile]),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    ...(options.searchAttributes === false
      ? []
      : searchAttributeFlags.flatMap((flag) => ['--search-attribute', flag])),
  ];
  const child = spawn(options.cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const forward = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter(Boolean)
      .forEach((line) => options.onOutput?.(line));
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);

  const address = `127.0.0.1:${options.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`Temporal dev server exited with ${code}`))),
  );
  await Promise.race([waitForTemporal(address, 60_000), exited]);
  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`,
    process: child,
    stop: () => stopChild(child, 15_000),
  };
}

/** Resolves once a Temporal frontend answers at `address`, or rejects after `timeoutMs`. */
export async function waitForTemporal(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await delay(250);
    }
  }
  throw new Error(
    `Temporal did not answer at ${address} within ${timeoutMs} ms: ${String(lastError)}`,
  );
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
