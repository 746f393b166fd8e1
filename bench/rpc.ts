// The benchmarks' helper processes (the fakes, the lean pipe, the plain copier) each run alone, so that
// no baseline shares an event loop with what it reads from or writes to. They are compiled as the
// worker is (scripts/build.ts: dist/, plain JavaScript) and driven over Node's IPC channel with a tiny
// request/answer protocol (the helper's side: rpc-serve.ts). A helper exits when its parent goes
// away, so none outlives a benchmark.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { basename, resolve } from 'node:path';
import { buildEntry } from '../scripts/build';
import type { Stops } from './harness';
import type { Answer, Call, Methods } from './rpc-serve';

export interface BenchProcess<M extends Methods, R> {
  child: ChildProcess;
  pid: number;
  /** What the helper announced when it was ready (its URLs, …). */
  ready: R;
  call<K extends keyof M & string>(method: K, ...args: Parameters<M[K]>): Promise<Awaited<ReturnType<M[K]>>>;
  stop(): Promise<void>;
}

/** Compiles `entry` into dist/ and forks it; resolves once it is ready. Its stop joins `stops`. */
export async function forkHelper<M extends Methods, R = unknown>(
  entry: string,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; execArgv?: string[]; stops: Stops; quiet?: boolean },
): Promise<BenchProcess<M, R>> {
  const out = resolve('dist', `bench-${basename(entry, '.ts')}.mjs`);
  await buildEntry(entry, out);
  const child = fork(out, options.args ?? [], {
    env: options.env ?? process.env,
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', options.quiet ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const ready = await new Promise<R>((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`${entry} exited (${code}) before it was ready`)));
    child.once('message', (msg: { ready?: R }) => ok(msg.ready as R));
  });
  child.on('message', (msg: Answer) => {
    const w = waiting.get(msg.id);
    if (!w) return;
    waiting.delete(msg.id);
    if ('error' in msg) w.fail(new Error(`${entry}: ${msg.error}`));
    else w.ok(msg.result);
  });
  child.on('exit', (code) => {
    exited = true;
    for (const w of waiting.values()) w.fail(new Error(`${entry} exited (${code})`));
    waiting.clear();
  });
  const stop = async () => {
    if (exited || child.exitCode !== null) return;
    const gone = once(child, 'exit');
    child.kill('SIGTERM');
    await gone;
  };
  options.stops.push(stop);
  return {
    child,
    pid: child.pid!,
    ready,
    call: (method, ...args) =>
      new Promise((ok, fail) => {
        if (exited) return fail(new Error(`${entry} is not running`));
        const id = nextId++;
        waiting.set(id, { ok: ok as (v: unknown) => void, fail });
        child.send({ id, method, args } satisfies Call);
      }),
    stop,
  };
}
