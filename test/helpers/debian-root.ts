import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, readdir, readlink, realpath, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { serverUnavailable } from './require-server';
import { once } from './server-process';

const run = promisify(execFile);

/** Extracting the ~750 MB root takes a few seconds; more means something is wrong. */
const extractTimeoutMs = 120_000;
/** How long stop() lets the root's daemons exit on SIGTERM before it sends SIGKILL. */
const stopGraceMs = 5_000;

export interface DebianRoot {
  /** The root folder: the chroot connection's host (`ansible_host`). */
  readonly dir: string;
  /**
   * Kills every process whose root is this folder, unmounts what is mounted under it and removes
   * it; safe to call twice.
   */
  stop(): Promise<void>;
}

/** The tarball scripts/prepare-debian-root makes; the same cache folder rule as that script. */
export function debianRootTarball(): string {
  const cacheDir =
    process.env.BERTH_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'berth');
  return join(cacheDir, 'debian-12-root.tar.zst');
}

/** Why a Debian root cannot be started here (see serverUnavailable), or undefined when it can. */
export function debianRootUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) {
    return serverUnavailable('Debian root', 'chroot and mount need root');
  }
  if (!existsSync('/usr/sbin/debootstrap')) {
    return serverUnavailable('Debian root', 'debootstrap is not installed (run scripts/setup)');
  }
  if (!existsSync(debianRootTarball())) {
    return serverUnavailable('Debian root', `no ${debianRootTarball()} (run scripts/setup)`);
  }
  return undefined;
}

/**
 * Extracts the cached Debian 12 root (with Apache, PHP, MariaDB, ... pre-installed) into a new
 * temporary folder and mounts /proc in it, which the packages' init scripts need to find their
 * daemons. Processes started in it share this machine's network, so whatever they listen on must
 * be a loopback address.
 */
export async function startDebianRoot(): Promise<DebianRoot> {
  // readlink(/proc/<pid>/root) names the real path, so compare against the real path too.
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'berth-debian-root-')));
  const stop = once(() => stopRoot(dir));
  try {
    await run(
      'tar',
      ['--numeric-owner', '--xattrs', '--zstd', '-xf', debianRootTarball(), '-C', dir],
      {
        timeout: extractTimeoutMs,
      },
    );
    // The cached root has an empty resolv.conf; this machine's lets a package that is not in the
    // cache still be installed from the mirror.
    await copyFile('/etc/resolv.conf', join(dir, 'etc/resolv.conf'));
    await run('mount', ['-t', 'proc', 'proc', join(dir, 'proc')]);
    return { dir, stop };
  } catch (error) {
    // Leave nothing behind; the original error is the one worth reporting.
    await stop().catch(() => undefined);
    throw error;
  }
}

async function stopRoot(dir: string): Promise<void> {
  await killProcessesIn(dir);
  for (const mountPoint of await mountsUnder(dir)) {
    await run('umount', [mountPoint]).catch(() => run('umount', ['-l', mountPoint]));
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) {
    // Removing the folder now would delete through the mount (a bind-mounted /dev, say).
    throw new Error(`still mounted under ${dir}, not removing it: ${left.join(', ')}`);
  }
  await rm(dir, { recursive: true, force: true });
}

/** SIGTERM to every process rooted in `dir`, SIGKILL to those left after the grace period. */
async function killProcessesIn(dir: string): Promise<void> {
  const deadline = Date.now() + stopGraceMs;
  let signal: NodeJS.Signals = 'SIGTERM';
  for (;;) {
    const pids = await processesRootedIn(dir);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // Exited meanwhile.
      }
    }
    if (signal === 'SIGKILL' && Date.now() > deadline + stopGraceMs) {
      throw new Error(`processes rooted in ${dir} survived SIGKILL: ${pids.join(', ')}`);
    }
    if (Date.now() > deadline) signal = 'SIGKILL';
    await delay(100);
  }
}

async function processesRootedIn(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const root = await readlink(`/proc/${entry}/root`);
      if (root === dir || root.startsWith(`${dir}/`)) pids.push(Number(entry));
    } catch {
      // Exited meanwhile, or a kernel thread.
    }
  }
  return pids;
}

/** Mount points at or under `dir`, deepest first. */
async function mountsUnder(dir: string): Promise<string[]> {
  const mountInfo = await readFile('/proc/self/mountinfo', 'utf8');
  return mountInfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((field): field is string => field !== undefined)
    .map((field) =>
      field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))),
    )
    .filter((mountPoint) => mountPoint === dir || mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}
