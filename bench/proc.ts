// What the benchmarks read about a process from /proc (Linux): RSS now and at its peak, the peak reset,
// and the CPU time it used (to tell when a fake, not Ferry, was the bottleneck).
import { readFileSync, writeFileSync } from 'node:fs';

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
