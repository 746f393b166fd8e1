// The helper's side of bench/rpc.ts: answers the parent's calls over the IPC channel. Kept apart from
// rpc.ts so that a helper's bundle holds nothing of the parent's (the build script, the harness).
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any method shape; callers get precise types
export type Methods = Record<string, (...args: any[]) => unknown>;

export interface Call {
  id: number;
  method: string;
  args: unknown[];
}
export type Answer = { id: number; result: unknown } | { id: number; error: string };

/** In the helper: answers the parent's calls with `methods`, after announcing `ready`. */
export function serveRpc(methods: Methods, ready: unknown): void {
  if (!process.send) throw new Error('a bench helper must be forked with an IPC channel');
  const send = process.send.bind(process);
  process.on('message', (msg: Call) => {
    Promise.resolve()
      .then(() => {
        const fn = methods[msg.method];
        if (!fn) throw new Error(`no method ${msg.method}`);
        return fn(...msg.args);
      })
      .then(
        (result) => send({ id: msg.id, result } satisfies Answer),
        (err: unknown) => send({ id: msg.id, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  process.on('disconnect', () => process.exit(0));
  send({ ready });
}
