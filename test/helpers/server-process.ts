import { type ChildProcess, spawn } from 'node:child_process';

/** How long a server gets between SIGTERM and SIGKILL. */
const stopGraceMs = 10_000;
/** Lines of output kept for a failure message. */
const keptLines = 40;

/**
 * A server the tests start as a foreground child process: the tail of what it prints, whether it
 * has exited, and a stop that escalates to SIGKILL. `onLine` sees every line as it comes.
 */
export class ServerProcess {
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private done = false;
  private output: string[] = [];

  constructor(
    private readonly name: string,
    binary: string,
    args: string[],
    onLine?: (line: string) => void,
  ) {
    this.child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      const lines = chunk.toString().split('\n').filter(Boolean);
      if (onLine) lines.forEach(onLine);
      this.output = [...this.output, ...lines].slice(-keptLines);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise<void>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.output.push(`${this.name} exited (${signal ?? `code ${code}`})`);
        resolve();
      });
      this.child.once('error', (error) => {
        this.output.push(String(error));
        resolve();
      });
    }).then(() => {
      this.done = true;
    });
  }

  get hasExited(): boolean {
    return this.done;
  }

  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), stopGraceMs);
    await this.exited;
    clearTimeout(timer);
  }

  outputTail(): string {
    return this.output.join('\n');
  }
}

/** An idempotent stop: the first call's promise, for every call. */
export function once(action: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => (result ??= action());
}
