import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time read from Linux's /proc, in milliseconds, for benchmarks that say where a request's CPU
 * went. /proc counts in clock ticks of USER_HZ, which Linux fixes at 100 a second.
 */

const msPerTick = 10;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces and brackets). */
function statFields(pid: number): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** User and system time of one process so far (fields 14 and 15); null once it has gone. */
export function processCpuMs(pid: number): number | null {
  const fields = statFields(pid);
  if (!fields) return null;
  return (Number(fields[11]) + Number(fields[12])) * msPerTick;
}

/**
 * A process and its children so far: its own time, its children that have exited (fields 16 and
 * 17, added once it has reaped them) and the live children's own. For PostgreSQL's postmaster,
 * that is the whole database server, backends included.
 */
export function processTreeCpuMs(pid: number): number | null {
  const fields = statFields(pid);
  if (!fields) return null;
  let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = statFields(Number(entry));
    if (child && Number(child[1]) === pid) ticks += Number(child[11]) + Number(child[12]);
  }
  return ticks * msPerTick;
}

/** The parent of a process (field 4). */
export function parentPid(pid: number): number | null {
  const fields = statFields(pid);
  return fields ? Number(fields[1]) : null;
}

/**
 * Time the machine's cores have spent busy so far (user, nice, system, irq, softirq), and how
 * many cores it has; null off Linux. Idle, waiting for I/O and steal (time the hypervisor gave
 * another guest) are not busy.
 */
export function machineCpu(): { busyMs: number; cores: number } | null {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const lines = stat.split('\n');
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (guest is in user).
  const [user, nice, system, , , irq, softirq] = lines[0]!.trim().split(/\s+/).slice(1).map(Number);
  const busy = user! + nice! + system! + irq! + softirq!;
  return { busyMs: busy * msPerTick, cores: lines.filter((line) => /^cpu\d/.test(line)).length };
}
