// The copy engine's activities over their dependencies: the plan store (PostgreSQL), the worker's
// config (defaults for the workflow's options) and the destinations (one cached client per account).
import { createHash, randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { CopyItemResult, CopyOptions, CopyPlanItem, DestinationSpec } from '../../lib/copy-plan';
import { FailureType } from '../../lib/failures';
import { createDestination } from '../clouds';
import type { Destination, FolderRef } from '../clouds/destination';
import type { ActivityDeps } from '../deps';
import { CheckpointStore, type CheckpointRef } from './checkpoints';
import { createListings } from './listings';
import { copyBatch } from './copy-batch';
import { copyFile, existingIsGood, splitPath, type CopyFileEnv } from './copy-file';
import { PlanStore, destinationKey } from './plan-store';
import { sourcePolicy } from './source-policy';
import type {
  CopyActivities,
  CopyBatchInput,
  CopyBatchResult,
  CopyFileInput,
  FindPresentInput,
  FindPresentResult,
  ResolvedCopyOptions,
} from './types';

export const DEFAULT_PAGE_SIZE = 500;
const MAX_CACHED = 200;

export type DestinationFactory = (spec: DestinationSpec) => Destination;

/** The account a spec writes to, without keeping its secret: folders and clients are cached per account. */
const accountOf = (spec: DestinationSpec) => {
  const c = spec.credentials;
  const secret = c.cloud === 'yadisk' ? c.token : (c.refreshToken ?? c.accessToken ?? '');
  return createHash('sha256').update(`${spec.cloud}\0${secret}`).digest('hex').slice(0, 24);
};

/** A page's listings are shared by its activities on one worker, and by nothing else. */
const pageScope = (planId: string, offset: number) => `${planId}:${offset}`;

/** A small map that forgets everything when full: these caches only save round trips. */
function boundedCache<V>() {
  const map = new Map<string, V>();
  return {
    get: (k: string) => map.get(k),
    set(k: string, v: V) {
      if (map.size >= MAX_CACHED) map.clear();
      map.set(k, v);
    },
    delete: (k: string) => void map.delete(k),
  };
}

export function createCopyActivities(deps: ActivityDeps, opts: { destinationFor?: DestinationFactory } = {}) {
  const destinationFor = opts.destinationFor ?? ((spec: DestinationSpec) => createDestination(spec, deps.config));
  const plans = () => {
    if (!deps.pool)
      throw ApplicationFailure.create({
        type: FailureType.InvalidInput,
        message: 'DATABASE_URL is required for the copy engine',
        nonRetryable: true,
      });
    return new PlanStore(deps.pool);
  };
  // Beside the plans, in the same database (plans() says so when there is none).
  const checkpoints = () => (plans(), new CheckpointStore(deps.pool!, deps.config.encryptionKeys));
  const checkpointOf = (ref: CheckpointRef) =>
    checkpoints().forItem(ref, (err) =>
      deps.logger.warn({ err, planId: ref.planId, seq: ref.seq }, 'could not store an upload offset'),
    );
  const clients = boundedCache<Destination>();
  const listings = createListings();
  const folders = boundedCache<Promise<FolderRef>>();

  const destinationOf = (spec: DestinationSpec) => {
    const key = `${accountOf(spec)}:${spec.rootFolder}`;
    let dest = clients.get(key);
    if (!dest) {
      dest = destinationFor(spec);
      clients.set(key, dest);
    }
    return { dest, key };
  };

  // One ensureFolder per folder per worker: concurrent items of one folder share the promise.
  const cachedFolder = (dest: Destination, key: string, relDir: string) => {
    const k = `${key}/${relDir}`;
    let p = folders.get(k);
    if (!p) {
      p = dest.ensureFolder(relDir);
      folders.set(k, p);
      p.catch(() => folders.delete(k));
    }
    return p;
  };

  // A folder deleted behind our back must not stay cached for the next attempt.
  const forgetFolder = (key: string, relPath: string) =>
    folders.delete(`${key}/${relPath.split('/').slice(0, -1).join('/')}`);

  // The activity applies the worker's fetch rules again: its input is only as trustworthy as the workflow.
  const underOwnPolicy = <T extends { options: CopyFileInput['options'] }>(input: T): T => ({
    ...input,
    options: { ...input.options, ...sourcePolicy(deps.config, input.options) },
  });

  const activities: CopyActivities = {
    async resolveCopyOptions(options: CopyOptions): Promise<ResolvedCopyOptions> {
      return {
        ...options,
        concurrency: options.concurrency ?? deps.config.COPY_CONCURRENCY,
        maxAttempts: options.maxAttempts ?? deps.config.COPY_MAX_ATTEMPTS,
        pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
        batchFiles: options.batchFiles ?? deps.config.COPY_BATCH_FILES,
        smallFileBytes: options.smallFileBytes ?? deps.config.COPY_SMALL_FILE_BYTES,
        ...sourcePolicy(deps.config, options),
      };
    },

    async readPlanPage(planId, offset, limit) {
      return plans().page(planId, offset, limit);
    },

    async copyFile(input: CopyFileInput): Promise<CopyItemResult> {
      const { dest, key } = destinationOf(input.destination);
      const store = plans();
      const env: CopyFileEnv = {
        destination: dest,
        ensureFolder: (relDir) => cachedFolder(dest, key, relDir),
        record: (result) => store.record(input.planId, destinationKey(input.destination), input.seq, result),
        checkpoint: checkpointOf({
          planId: input.planId,
          destinationKey: destinationKey(input.destination),
          seq: input.seq,
          key: input.item.key,
        }),
      };
      try {
        return await copyFile(underOwnPolicy(input), env);
      } catch (err) {
        forgetFolder(key, input.item.relPath);
        throw err;
      }
    },

    async copyBatch(input: CopyBatchInput): Promise<CopyBatchResult> {
      const { dest, key } = destinationOf(input.destination);
      const store = plans();
      const scope = input.pageOffset === undefined ? randomUUID() : pageScope(input.planId, input.pageOffset);
      return copyBatch(underOwnPolicy(input), {
        destination: dest,
        ensureFolder: (relDir) => cachedFolder(dest, key, relDir),
        recordMany: (rows) => store.recordMany(input.planId, destinationKey(input.destination), rows),
        checkpointOf: (seq, itemKey) =>
          checkpointOf({ planId: input.planId, destinationKey: destinationKey(input.destination), seq, key: itemKey }),
        onItemFailed: (relPath) => forgetFolder(key, relPath),
        folderIndex: (relDir, folder) => listings.of(dest, key, scope, relDir, folder),
      });
    },

    async findPresent(input: FindPresentInput): Promise<FindPresentResult> {
      const ctx = Context.current();
      const { dest, key } = destinationOf(input.destination);
      const found: Array<{ seq: number; result: CopyItemResult }> = [];
      const missing: number[] = [];
      // Each folder of the page listed once (where the destination can), not probed once per item; the
      // page's copyBatch activities on this worker answer their probes from the same listings.
      const scope = pageScope(input.planId, input.offset);
      const probe = async (dir: string, name: string, item: CopyPlanItem) => {
        const folder = await cachedFolder(dest, key, dir);
        const listing = listings.of(dest, key, scope, dir, folder);
        return listing ? (await listing).probe(name, item) : dest.probe(folder, name, item);
      };
      let next = 0;
      const lane = async () => {
        while (next < input.items.length) {
          const i = next++;
          const item = input.items[i]!;
          try {
            const { dir, name } = splitPath(item.relPath);
            const { existing: f } = await probe(dir, name, item);
            if (f && existingIsGood(item, f)) {
              const result: CopyItemResult = {
                key: item.key,
                relPath: item.relPath,
                status: 'already_there',
                bytes: f.size,
                md5: f.md5,
                destinationId: f.id,
                destinationPath: f.path,
                ...(f.name !== name && { renamedFrom: item.relPath }),
              };
              found.push({ seq: input.offset + i, result });
              continue;
            }
          } catch (err) {
            // Not fatal here: copyFile probes again under its own retry policy.
            if (ctx.cancellationSignal.aborted) throw err;
          }
          missing.push(i);
          ctx.heartbeat(next);
        }
      };
      await Promise.all(Array.from({ length: Math.min(input.concurrency, input.items.length) }, lane));
      await plans().recordMany(input.planId, destinationKey(input.destination), found);
      missing.sort((a, b) => a - b);
      return {
        alreadyThere: found.length,
        bytes: found.reduce((n, f) => n + f.result.bytes, 0),
        renamed: found.filter((f) => f.result.renamedFrom).map((f) => f.result),
        missing,
      };
    },

    async recordCopyResult({ planId, destination, seq, result }) {
      await plans().record(planId, destinationKey(destination), seq, result);
    },
  };
  return activities;
}
