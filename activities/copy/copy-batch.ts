// The copyBatch activity: a batch of small files (photos), each copied exactly as copyFile copies one
// (probe, stream through MD5/CRC-32, verify, never twice), `width` at a time, the probes answered by
// the page's one listing of each folder (env.folderIndex, listings.ts). A photo then costs
// Temporal one task per batch instead of three events and a workflow task of its own, and PostgreSQL
// one statement per batch: what lets thousands of small files go as fast as the link allows.
//
// An item's failure never fails the batch: it is returned, final (non-retryable, or the last attempt)
// or to be retried by the workflow in a copyFile of its own under the full retry policy. The batch only
// fails when its worker dies or it is cancelled; its heartbeat then carries what is done and each
// in-flight item's chosen name, and PostgreSQL each in-flight upload's checkpoint (checkpoints.ts), so
// the next attempt copies nothing twice even when the heartbeat never reached Temporal.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { CopyItemResult } from '../../lib/jobs/copy-to-cloud';
import { NON_RETRYABLE_FAILURES, failureReason } from '../../lib/failures';
import { mapWithConcurrency } from '../../lib/concurrency';
import { recordFailure } from '../../lib/metrics';
import type { ItemCheckpoint, StoredCheckpoint } from './checkpoints';
import { copyItem, resumeDetails, type CopyFileEnv, type CopyHeartbeat } from './copy-file';
import type { BatchRetry, CopyBatchInput, CopyBatchResult } from './types';

interface CopyBatchHeartbeat {
  results: CopyBatchResult['results'];
  retry: BatchRetry[];
  /** Items in flight when the heartbeat was sent, by plan position. */
  inflight: Record<number, CopyHeartbeat>;
}

interface CopyBatchEnv extends Omit<CopyFileEnv, 'record' | 'checkpoint'> {
  /** The stored upload checkpoints of the batch's items, read in one go (most photos have none). */
  loadCheckpoints(items: ReadonlyArray<{ seq: number; key: string }>): Promise<Map<number, StoredCheckpoint>>;
  /** The durable upload checkpoint of the item at `seq`, its stored state read by loadCheckpoints. */
  checkpointOf(seq: number, key: string, stored: StoredCheckpoint | undefined): ItemCheckpoint;
  /** Stores final outcomes in one statement. */
  recordMany(rows: CopyBatchResult['results']): Promise<void>;
}

const isFinal = (err: unknown) =>
  err instanceof ApplicationFailure && (err.nonRetryable || NON_RETRYABLE_FAILURES.some((t) => t === err.type));

function retryAfterOf(err: unknown): number | undefined {
  if (!(err instanceof ApplicationFailure) || err.nextRetryDelay == null) return undefined;
  return msToNumber(err.nextRetryDelay);
}

export async function copyBatch(input: CopyBatchInput, env: CopyBatchEnv): Promise<CopyBatchResult> {
  const ctx = Context.current();
  const signal = ctx.cancellationSignal;
  const previous = ctx.info.heartbeatDetails as CopyBatchHeartbeat | undefined;
  const state: CopyBatchHeartbeat = { results: [], retry: [], inflight: {}, ...previous };
  const settled = new Set([...state.results.map((r) => r.seq), ...state.retry.map((r) => r.seq)]);
  const resumed = state.inflight;
  state.inflight = {};

  const beat = () => ctx.heartbeat(state);
  beat();
  const timer = setInterval(beat, Math.max(200, Math.min(1000, (ctx.info.heartbeatTimeoutMs ?? 3000) / 3)));

  const todo = input.items.filter(({ seq }) => !settled.has(seq));
  const stored = await env.loadCheckpoints(todo.map(({ seq, item }) => ({ seq, key: item.key })));
  const copyOne = async ({ seq, item }: CopyBatchInput['items'][number]) => {
    const details = resumeDetails(resumed[seq], item.key);
    state.inflight[seq] = details;
    let result: CopyItemResult | undefined;
    try {
      result = await copyItem(
        { planId: input.planId, seq, item, destination: input.destination, options: input.options },
        { ...env, record: async () => undefined, checkpoint: env.checkpointOf(seq, item.key, stored.get(seq)) },
        details,
        signal,
      );
    } catch (err) {
      if (signal.aborted) return;
      recordFailure('copy', err);
      const error = failureReason(err);
      if (input.lastAttempt || isFinal(err)) {
        result = { key: item.key, relPath: item.relPath, status: 'failed', bytes: 0, error };
      } else {
        state.retry.push({ seq, error, retryAfterMs: retryAfterOf(err) });
      }
    } finally {
      delete state.inflight[seq];
    }
    if (result) state.results.push({ seq, result });
  };
  try {
    // Once cancelled, no further item starts; those in flight stop through the same signal.
    await mapWithConcurrency(todo, input.width, copyOne, { signal });
    // Recorded even when cancelled: the report keeps what was copied before the stop. An earlier
    // attempt's results are written again (an upsert): they may not have reached PostgreSQL.
    await env.recordMany(state.results);
    if (signal.aborted) {
      throw signal.reason instanceof CancelledFailure ? signal.reason : new CancelledFailure('copy cancelled');
    }
    return { results: state.results, retry: state.retry };
  } finally {
    clearInterval(timer);
  }
}
