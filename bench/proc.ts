// What the benchmarks read about a process from /proc (Linux): RSS now and at its peak, the peak reset,
// and the CPU time it used (to tell when a fake, not Ferry, was the bottleneck).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const status = (pid: number, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** Current RSS of a process (VmRSS), in MB. */
export const rssMb = (pid: number) => Math.round(status(pid, 'VmRSS') / 1048576);

/** Peak RSS of a process since start or the last reset (VmHWM), in MB. */
export const peakRssMb = (pid: number) => Math.round(status(pid, 'VmHWM') / 1048576);

/** Resets a process's VmHWM to its current RSS, so that the next peak read is a run's, not start-up's. */
export const resetPeakRss = (pid: number) => writeFileSync(`/proc/${pid}/clear_refs`, '5');

/** User + system CPU seconds a process has used (clock ticks of 1/100 s, as on every Linux we run). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds the whole machine spent busy (every core: user, nice, system, irq, softirq, steal), from /proc/stat. */
export function machineBusySeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = ticks.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/**
 * CPU seconds of the Temporal server and PostgreSQL (postmaster and backends) this benchmark started:
 * the live processes below `root` whose command is `temporal` or `postgres`.
 */
export function backboneCpuSeconds(root = process.pid): { temporal: number; postgres: number } {
  const parentOf = new Map<number, number>();
  const commOf = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      commOf.set(Number(entry), stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')));
    } catch {
      // Gone since the listing.
    }
  }
  const below = (pid: number): boolean => {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) if (p === root) return true;
    return false;
  };
  const sums = { temporal: 0, postgres: 0 };
  for (const [pid, comm] of commOf) {
    const kind = comm.startsWith('temporal') ? 'temporal' : comm.startsWith('postgres') ? 'postgres' : undefined;
    if (!kind || !below(pid)) continue;
    try {
      sums[kind] += cpuSeconds(pid);
    } catch {
      // Exited meanwhile.
    }
  }
  return sums;
}
