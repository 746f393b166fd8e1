// ferry_transfers: Ferry's workflows as Temporal's visibility store counts them, by workflow type and
// execution status: how many transfers are running now, and how many completed, failed, were cancelled
// or terminated within the namespace's retention. No worker can count "running" (a run starts on one
// worker and ends on another, and counters reset on restart); Temporal can. The counts are read when
// Prometheus scrapes, at most every CACHE_MS per API process, so many scrapers cost Temporal little.
import type { Client } from '@temporalio/client';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../lib/logger';

/** Workflows that are a transfer (copyPlanPage, a copy's page, is not: it is part of copyToCloud). */
export const TRANSFER_WORKFLOW_TYPES = ['cloudArchive', 'vkBackup', 'etlRun', 'copyToCloud'] as const;

/** Temporal's ExecutionStatus values, as label values. Every one is exported, zero included. */
const STATUS_LABELS: Record<string, string> = {
  Running: 'running',
  Completed: 'completed',
  Failed: 'failed',
  Canceled: 'canceled',
  Terminated: 'terminated',
  ContinuedAsNew: 'continued_as_new',
  TimedOut: 'timed_out',
};

const CACHE_MS = 10_000;
const COUNT_TIMEOUT_MS = 2_000;

type Counts = Map<string, Map<string, number>>; // workflow type -> status label -> count

async function countByStatus(temporal: Client, taskQueue: string, workflowType: string): Promise<Map<string, number>> {
  const quoted = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;
  const query = `WorkflowType = ${quoted(workflowType)} AND TaskQueue = ${quoted(taskQueue)} GROUP BY ExecutionStatus`;
  const { groups } = await temporal.connection.withDeadline(Date.now() + COUNT_TIMEOUT_MS, () =>
    temporal.workflow.count(query),
  );
  const counts = new Map(Object.values(STATUS_LABELS).map((label) => [label, 0]));
  for (const group of groups) {
    const status = String(group.groupValues.flat()[0]);
    const label = STATUS_LABELS[status] ?? status.toLowerCase();
    counts.set(label, (counts.get(label) ?? 0) + group.count);
  }
  return counts;
}

/** Registers ferry_transfers on `register`, counted from `temporal` for the API's task queue. */
export function registerTransfersMetric(
  register: Registry,
  deps: { temporal: Client; taskQueue: string; logger: Logger },
): void {
  let cached: { at: number; counts: Counts } | undefined;
  let pending: Promise<Counts> | undefined;
  const read = async (): Promise<Counts> => {
    const entries = await Promise.all(
      TRANSFER_WORKFLOW_TYPES.map(async (t) => [t, await countByStatus(deps.temporal, deps.taskQueue, t)] as const),
    );
    return new Map(entries);
  };
  new Gauge({
    name: 'ferry_transfers',
    help: 'Transfers (Ferry workflows) in Temporal by workflow type and execution status; closed ones within retention',
    labelNames: ['workflow_type', 'status'] as const,
    registers: [register],
    async collect() {
      if (!cached || Date.now() - cached.at > CACHE_MS) {
        pending ??= read().finally(() => (pending = undefined));
        try {
          cached = { at: Date.now(), counts: await pending };
        } catch (err) {
          // No numbers rather than stale ones: the panel shows a gap, /readyz says why.
          deps.logger.warn({ err }, 'counting transfers in Temporal failed');
          cached = undefined;
          this.reset();
          return;
        }
      }
      for (const [workflowType, byStatus] of cached.counts) {
        for (const [status, n] of byStatus) this.set({ workflow_type: workflowType, status }, n);
      }
    },
  });
}
