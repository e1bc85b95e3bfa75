import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Ends a run's processes: the process group of ansible-playbook (started detached, so it leads
 * its own) and the groups of its descendants. ansible-core's workers call setsid() (2.19:
 * WorkerProcess._detach), so the modules and commands they run (`sleep 60`) are not in
 * ansible-playbook's group; signalling that group alone would leave them running.
 *
 * SIGTERM to every group, SIGKILL to what is left after `graceMs`. Groups are collected before
 * each signal and remembered, so a worker orphaned by its parent's death is still ended.
 * Resolves once none of those groups has a live process, or after a bounded wait after SIGKILL.
 */
export async function endProcessTree(leader: number, graceMs: number): Promise<void> {
  const groups = new Set<number>([leader]);
  const collect = () => {
    for (const pgid of descendantGroups(leader)) groups.add(pgid);
  };
  collect();
  signalGroups(groups, 'SIGTERM');
  if (await ended(groups, collect, graceMs)) return;
  collect();
  signalGroups(groups, 'SIGKILL');
  await ended(groups, collect, 5_000);
}

/** Live (not zombie) processes of the given process groups; empty when they are all gone. */
export function liveProcessesOf(groups: Iterable<number>): number[] {
  const wanted = new Set(groups);
  return processTable()
    .filter((process) => wanted.has(process.pgrp) && !['Z', 'X'].includes(process.state))
    .map((process) => process.pid);
}

interface ProcessEntry {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
}

/** The process groups of a process's descendants, by the parent links in /proc. */
function descendantGroups(root: number): number[] {
  const table = processTable();
  const children = new Map<number, ProcessEntry[]>();
  for (const entry of table) {
    const siblings = children.get(entry.ppid) ?? [];
    siblings.push(entry);
    children.set(entry.ppid, siblings);
  }
  const groups: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      groups.push(child.pgrp);
      queue.push(child.pid);
    }
  }
  return groups;
}

function processTable(): ProcessEntry[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return []; // no /proc (not Linux): only the leader's group is signalled, and not waited for
  }
  const table: ProcessEntry[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      table.push({
        pid: Number(entry),
        state: fields[0]!,
        ppid: Number(fields[1]),
        pgrp: Number(fields[2]),
      });
    } catch {
      // ended while we looked
    }
  }
  return table;
}

/** This process's own group, which a run's processes are never in (the leader is detached). */
const ownGroup = processTable().find((entry) => entry.pid === process.pid)?.pgrp;

function signalGroups(groups: Set<number>, signal: NodeJS.Signals): void {
  for (const pgid of groups) {
    if (pgid <= 1 || pgid === ownGroup) continue;
    try {
      process.kill(-pgid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

async function ended(groups: Set<number>, collect: () => void, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    collect();
    if (liveProcessesOf(groups).length === 0) return true;
    if (Date.now() >= deadline) return false;
    await delay(50);
  }
}
