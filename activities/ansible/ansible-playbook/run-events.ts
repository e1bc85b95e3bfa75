import { open } from 'node:fs/promises';

/** What ansible/plugins/callback/berth_events.py writes, one JSON object per line. */
export type RunEvent =
  | { event: 'task'; task: string; handler: boolean }
  | {
      event: 'result';
      status: 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped';
      task: string;
      host: string;
      msg?: string;
      ignored?: boolean;
    }
  | { event: 'stats'; hosts: Record<string, HostStats> };

export interface HostStats {
  ok: number;
  changed: number;
  failures: number;
  unreachable: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/**
 * Follows the events file while ansible writes it: `read()` returns the events completed since
 * the last call (a line still being written waits for the next one).
 */
export class EventFile {
  private offset = 0;
  /** The bytes of a line not yet ended (kept as bytes: a read may end inside a character). */
  private partial = Buffer.alloc(0);

  constructor(private readonly path: string) {}

  async read(): Promise<RunEvent[]> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (error) {
      // Not there until the callback plugin has started.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    try {
      const events: RunEvent[] = [];
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const bytes = Buffer.concat([this.partial, buffer.subarray(0, bytesRead)]);
        const end = bytes.lastIndexOf(0x0a) + 1;
        this.partial = Buffer.from(bytes.subarray(end));
        for (const line of bytes.toString('utf8', 0, end).split('\n')) {
          const event = parseEvent(line);
          if (event) events.push(event);
        }
      }
      return events;
    } finally {
      await handle.close();
    }
  }
}

function parseEvent(line: string): RunEvent | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value = JSON.parse(line) as RunEvent;
    return typeof value === 'object' && value !== null && 'event' in value ? value : undefined;
  } catch {
    // A line cut by a crash: the run is judged by the stats, which it then lacks.
    return undefined;
  }
}
