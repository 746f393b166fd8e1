// The `ferry` CLI spawned as a user runs it: the progress bar and summary, the JSON report file, Google
// Drive through the loopback consent flow (token kept 0600), and Ctrl-C without a terminal.
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClient } from '../helpers/temporal';
import { IVAN_REPORT, runCli, startWorld, type World } from './harness';

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(() => world.close());

const EXPECTED = IVAN_REPORT;

describe('ferry vk-backup (spawned)', () => {
  it('shows the progress bar and the summary, and writes a valid JSON report', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-cli-'));
    const run = await world.withWorker(() =>
      runCli(world, ['vk-backup', 'ivan.petrov', '--folder', 'VK_cli', '--json', 'ivan.json'], { cwd }),
    );
    expect(run.stderr).toMatch(/\|[█░]+\| \d+% \| \d+\/\d+ photos/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Done: 5 photos of Ivan Petrov backed up');
    expect(run.stdout).toContain('Yandex Disk disk:/VK_cli: done (5 copied, 0 already there, 0 failed');
    expect(run.stdout).toContain(`Report: ${join(cwd, 'ivan.json')}`);
    expect(JSON.parse(readFileSync(join(cwd, 'ivan.json'), 'utf8'))).toEqual(EXPECTED);
  });

  it('authorizes Google Drive through the loopback flow once, keeping the token 0600', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-cli-'));
    let consented = false;
    const first = await world.withWorker(() =>
      runCli(world, ['vk-backup', 'ivan.petrov', '--to', 'gdrive', '--folder', 'VK_gd', '--no-progress'], {
        cwd,
        onOutput: (text) => {
          const url = /(http:\/\/127\.0\.0\.1:\d+\/o\/oauth2\/v2\/auth\?\S+)/.exec(text)?.[1];
          if (url && !consented) {
            consented = true;
            // The "browser": Google's consent page redirects to the CLI's loopback server.
            void fetch(url).then((r) => r.text());
          }
        },
      }),
    );
    expect(consented).toBe(true);
    expect(first.code).toBe(0);
    const tokenFile = join(cwd, 'config', 'ferry', 'google-drive.json');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(first.stdout).toContain('Google Drive /VK_gd: done (5 copied');

    const second = await world.withWorker(() =>
      runCli(world, ['vk-backup', 'ivan.petrov', '--to', 'gdrive', '--folder', 'VK_gd', '--no-progress'], { cwd }),
    );
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('oauth2/v2/auth');
    expect(second.stdout).toContain('Google Drive /VK_gd: done (0 copied, 5 already there');
  });

  it('leaves the backup running in Temporal on Ctrl-C without a terminal, and says so', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ferry-cli-'));
    let workflowId = '';
    const { run, status } = await world.withWorker(async () => {
      const run = await runCli(
        world,
        ['vk-backup', 'big.user', '--count', 'all', '--album', 'wall', '--folder', 'VK_int'],
        {
          cwd,
          onOutput: (text, child) => {
            const id = /Workflow (vk-backup-\S+)/.exec(text)?.[1];
            if (id && !workflowId) {
              workflowId = id;
              setTimeout(() => child.kill('SIGINT'), 1500);
            }
          },
        },
      );
      const handle = (await testClient(world.config)).workflow.getHandle(workflowId);
      const status = (await handle.describe()).status.name;
      await handle.terminate('test over');
      return { run, status };
    });
    expect(run.code).toBe(130);
    expect(run.stdout).toContain(`Left running in Temporal: workflow ${workflowId}`);
    expect(existsSync(join(cwd, 'vk_backup_big.user.json'))).toBe(false);
    expect(status).toBe('RUNNING');
  });
});
