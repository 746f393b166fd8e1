// How the worker process is run (the Dockerfile's NODE_OPTIONS and ENV; test/deploy checks they agree;
// bench/harness.ts and `npm start` run the worker the same way). Why each one: docs/deploy.md#worker-memory.

/**
 * Semi-spaces of 8 MB instead of V8's 16 keep the idle heap ~20 MB smaller at no cost in throughput
 * (2 MB promotes the ETL's in-flight batches: peak RSS 330 MB instead of 220, 20% slower).
 * `--expose-gc` lets copies free socket buffers as they go (activities/copy/buffer-release.ts).
 * An old generation of at most 256 MB: without it V8 sizes the heap from the machine (4 GB on a big
 * host) and lets a long transfer's garbage pile up to hundreds of MB before collecting it; the live set
 * of a copying worker is ~60-100 MB, a 64 MB gallery listing being parsed adds its own.
 */
export const WORKER_NODE_FLAGS = ['--max-semi-space-size=8', '--expose-gc', '--max-old-space-size=256'];

/**
 * glibc gives each thread that allocates its own malloc arena (up to 8 per core); the Temporal core's
 * and libuv's threads then leave freed native memory spread over many arenas, and RSS creeps up with
 * every file copied. Two arenas keep that flat.
 */
export const WORKER_NATIVE_ENV = { MALLOC_ARENA_MAX: '2' } as const;
