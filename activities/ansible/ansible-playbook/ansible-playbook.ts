import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type Ansible,
  type ConfigurationRequest,
  ConfigurationRunError,
  type ConfigurationTarget,
  type RunControl,
  type RunReport,
  type RunSummary,
  type UpgradeRequest,
} from '../port';
import { inertData, stringsIn } from './inert-data';
import { OutputTail } from './output-tail';
import { endProcessTree } from './process-tree';
import { Redactor } from './redaction';
import { EventFile, type RunEvent } from './run-events';

/** A playbook and the ansible.cfg its runs use (ANSIBLE_CONFIG), if any. */
export interface Playbook {
  path: string;
  ansibleConfig?: string;
}

export interface AnsiblePlaybookOptions {
  /** The `ansible-playbook` executable. */
  executable: string;
  playbooks: {
    /** The site's server (ansible/site.yml). */
    configure: Playbook;
    /** The in-place OS upgrade (ansible/upgrade.yml). */
    upgrade: Playbook;
  };
  /** Folder holding berth_events.py. */
  callbackPlugins: string;
  /** Connection variables for every host, over the default `ansible_host` (the IPv4 address). */
  hostVars?: Record<string, unknown>;
  /** Between SIGTERM and SIGKILL when a run is cancelled. */
  killGraceMs: number;
  /** Where each run's folder is made; the system's temporary folder by default. */
  tempRoot?: string;
  /** Output kept per run, its end; 1 MiB by default. */
  outputLimitBytes?: number;
}

/** Variables of the controller's environment a run keeps; nothing else is inherited. */
const inheritedVariables = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR'] as const;

/** How often the events file is read for progress. */
const tailIntervalMs = 200;

/**
 * The `ansible` configuration adapter: one `ansible-playbook` process per run (site.yml to
 * configure, upgrade.yml to upgrade), in its own process group and its own folder (mode 0700) that
 * holds the inventory and the run's data as files: the site's data and its secrets, or the
 * upgrade's release. Data reaches ansible only as those files, marked inert (see inert-data.ts);
 * the command line holds file paths only, and the environment is built from scratch. The folder,
 * secrets included, is removed when the run ends, however it ends.
 */
export class AnsiblePlaybook implements Ansible {
  readonly name = 'ansible';

  constructor(private readonly options: AnsiblePlaybookOptions) {}

  async configure(request: ConfigurationRequest, control: RunControl): Promise<RunReport> {
    return this.runPlaybook(
      { playbook: this.options.playbooks.configure, noun: 'configuration run', verb: 'configure' },
      request.target,
      { vars: request.vars, secrets: request.secrets },
      new Redactor(stringsIn(request.secrets)),
      control,
    );
  }

  async upgrade({ target, release }: UpgradeRequest, control: RunControl): Promise<RunReport> {
    return this.runPlaybook(
      { playbook: this.options.playbooks.upgrade, noun: 'upgrade', verb: 'upgrade' },
      target,
      { vars: { berth_upgrade: { release } } },
      new Redactor([]),
      control,
    );
  }

  /**
   * One run of `kind.playbook` on the target; each of `extraVars` becomes a file `<key>.json`,
   * marked inert, passed with `-e @file` in the object's order.
   */
  private async runPlaybook(
    kind: RunKind,
    target: ConfigurationTarget,
    extraVars: Record<string, unknown>,
    redactor: Redactor,
    control: RunControl,
  ): Promise<RunReport> {
    control.signal?.throwIfAborted();
    const folder = await mkdtemp(join(this.options.tempRoot ?? tmpdir(), 'berth-ansible-'));
    try {
      await chmod(folder, 0o700);
      const files = await this.writeRunFiles(folder, kind, target, extraVars);
      return await this.run(folder, kind, files, redactor, control);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }

  private async writeRunFiles(
    folder: string,
    kind: RunKind,
    target: ConfigurationTarget,
    extraVars: Record<string, unknown>,
  ) {
    if (target.hostname === '') {
      throw new ConfigurationRunError(`the server has no host name to ${kind.verb}`, {
        ...noCounts,
        output: '',
        failedTask: null,
        failedHost: null,
      });
    }
    const write = async (name: string, value: unknown) => {
      const path = join(folder, name);
      await writeFile(path, JSON.stringify(value), { mode: 0o600, flag: 'wx' });
      return path;
    };
    const host = { ansible_host: inertData(target.ipv4), ...this.options.hostVars };
    const inventory = await write('inventory.json', {
      all: { hosts: { [target.hostname]: host } },
    });
    const extraVarFiles: string[] = [];
    for (const [name, value] of Object.entries(extraVars)) {
      extraVarFiles.push(await write(`${name}.json`, inertData(value)));
    }
    const files = {
      inventory,
      extraVars: extraVarFiles,
      events: join(folder, 'events.jsonl'),
      localTemp: join(folder, 'tmp'),
    };
    await mkdir(files.localTemp, { mode: 0o700 });
    return files;
  }

  private async run(
    folder: string,
    kind: RunKind,
    files: Awaited<ReturnType<AnsiblePlaybook['writeRunFiles']>>,
    redactor: Redactor,
    control: RunControl,
  ): Promise<RunReport> {
    const output = new OutputTail(this.options.outputLimitBytes ?? 1024 * 1024, redactor.longest);
    const env: Record<string, string> = { LANG: 'C.UTF-8' };
    for (const name of inheritedVariables) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, {
      ANSIBLE_CALLBACK_PLUGINS: this.options.callbackPlugins,
      ANSIBLE_CALLBACKS_ENABLED: 'berth_events',
      BERTH_ANSIBLE_EVENTS_FILE: files.events,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_FORCE_COLOR: '0',
      // The run's inventory is a YAML/JSON file; one that does not parse fails the run.
      ANSIBLE_INVENTORY_ENABLED: 'yaml',
      ANSIBLE_INVENTORY_UNPARSED_FAILED: 'true',
      ANSIBLE_LOCAL_TEMP: files.localTemp,
      ANSIBLE_RETRY_FILES_ENABLED: 'false',
      PYTHONUNBUFFERED: '1',
      ...(kind.playbook.ansibleConfig ? { ANSIBLE_CONFIG: kind.playbook.ansibleConfig } : {}),
    });
    const args = [
      '-i',
      files.inventory,
      ...files.extraVars.flatMap((path) => ['-e', `@${path}`]),
      kind.playbook.path,
    ];
    const child = spawn(this.options.executable, args, {
      cwd: folder,
      env,
      // Its own session and process group: cancelling signals that group and the ones its
      // workers make (process-tree.ts), never the worker's own.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.append(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.append(chunk));
    const exit = new Promise<{ code: number | null; signal: string | null; error?: Error }>(
      (resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
      },
    );

    let cancelled: Promise<void> | undefined;
    const onAbort = () => {
      if (child.pid !== undefined && !cancelled) {
        // A group we may not signal (EPERM) cannot be ended: the run then ends on its own.
        cancelled = endProcessTree(child.pid, this.options.killGraceMs).catch(() => undefined);
      }
    };
    control.signal?.addEventListener('abort', onAbort, { once: true });

    const events = new EventFile(files.events);
    const seen: RunEvent[] = [];
    const drain = async () => {
      for (const event of await events.read()) {
        seen.push(event);
        if (event.event === 'task') control.onProgress(event.task);
      }
    };
    let running = true;
    const tailing = (async () => {
      while (running) {
        // A failed read is retried on the next tick; the last read, below, is the one that counts.
        await drain().catch(() => undefined);
        await delay(tailIntervalMs);
      }
    })();

    let ended: Awaited<typeof exit>;
    try {
      ended = await exit;
      await cancelled;
      await closed(child.stdout, child.stderr);
    } finally {
      control.signal?.removeEventListener('abort', onAbort);
      // An abort that came after the exit still ends what ansible left running.
      await cancelled;
      running = false;
      await tailing;
    }
    await drain();

    const text = output.text((value) => redactor.redact(value));
    const judged = judge(seen, ended, text, redactor);
    if (cancelled || control.signal?.aborted) {
      const current = [...seen].reverse().find((event) => event.event === 'task');
      throw new ConfigurationRunError(
        `${kind.noun} cancelled${current ? ` during task "${current.task}"` : ''}`,
        { ...judged.summary, output: text, failedTask: null, failedHost: null },
      );
    }
    if (judged.failure) {
      throw new ConfigurationRunError(judged.failure.message, {
        ...judged.summary,
        output: text,
        failedTask: judged.failure.task,
        failedHost: judged.failure.host,
      });
    }
    return { ...judged.summary, output: text };
  }
}

/** Which playbook a run runs, and its words for messages. */
interface RunKind {
  playbook: Playbook;
  /** `configuration run cancelled during ...` */
  noun: string;
  /** `the server has no host name to configure` */
  verb: string;
}

const noCounts: RunSummary = { ok: 0, changed: 0, failed: 0, unreachable: 0 };

/**
 * A run's outcome from its events and its exit: it succeeded only if ansible reported final
 * stats with at least one host, no host failed or was unreachable, and it exited with 0.
 */
function judge(
  events: RunEvent[],
  exit: { code: number | null; signal: string | null; error?: Error },
  output: string,
  redactor: Redactor,
): {
  summary: RunSummary;
  failure?: { message: string; task: string | null; host: string | null };
} {
  const stats = events.findLast((event) => event.event === 'stats');
  const summary = { ...noCounts };
  for (const host of Object.values(stats?.hosts ?? {})) {
    summary.ok += host.ok;
    summary.changed += host.changed;
    summary.failed += host.failures;
    summary.unreachable += host.unreachable;
  }
  const clean = (text: string | undefined) => short(redactor.redact(text ?? ''));
  const results = events.filter((event) => event.event === 'result');
  // A host stops at its fatal result, so the last one of a kind is the one that ended it.
  const failedResult = results.findLast(
    (event) => event.status === 'failed' && event.ignored !== true,
  );
  const unreachableResult = results.findLast((event) => event.status === 'unreachable');
  const ending = exit.error
    ? `could not start: ${exit.error.message}`
    : exit.signal
      ? `killed by ${exit.signal}`
      : `exit code ${exit.code}`;
  const lastLine = clean(
    output
      .split('\n')
      .map((line) => line.trim())
      .findLast((line) => line !== ''),
  );

  if (summary.failed > 0 && failedResult) {
    const message = `task "${failedResult.task}" failed on ${failedResult.host}: ${clean(failedResult.msg)}`;
    return { summary, failure: { message, task: failedResult.task, host: failedResult.host } };
  }
  if (summary.unreachable > 0 && unreachableResult) {
    const message = `${unreachableResult.host} was unreachable in task "${unreachableResult.task}": ${clean(unreachableResult.msg)}`;
    return {
      summary,
      failure: { message, task: unreachableResult.task, host: unreachableResult.host },
    };
  }
  const failure = (message: string) => ({ summary, failure: { message, task: null, host: null } });
  if (!stats) return failure(`ansible-playbook ended without a result (${ending}): ${lastLine}`);
  if (summary.failed > 0 || summary.unreachable > 0) {
    return failure(`ansible-playbook reported failed hosts (${ending}): ${lastLine}`);
  }
  if (Object.keys(stats.hosts).length === 0) {
    return failure(`ansible-playbook configured no host (${ending}): ${lastLine}`);
  }
  if (exit.code !== 0) {
    return failure(`ansible-playbook ended with ${ending} although no host failed: ${lastLine}`);
  }
  return { summary };
}

/** One line of at most 500 characters: enough to name a problem, not to carry a file. */
function short(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 500 ? `${line.slice(0, 499)}…` : line;
}

/**
 * Waits for the output pipes to close, but not for long: a process that ansible left behind
 * (an ssh ControlPersist master) may hold them open after ansible itself is gone.
 */
async function closed(...streams: Readable[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      for (const stream of streams) stream.destroy();
      resolve();
    }, 2_000);
  });
  const all = Promise.all(
    streams
      .filter((stream) => !stream.closed)
      .map((stream) => new Promise<void>((resolve) => stream.once('close', resolve))),
  );
  await Promise.race([all, timeout]);
  clearTimeout(timer);
}
