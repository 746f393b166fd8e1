// The photo-backup API (POST /vk-backups, /ok-backups, GET …/{id}) as the VK and OK tests call it, on
// an API started over their world for the test file.
import { afterAll, beforeAll, expect } from 'vitest';

export interface BackupStatus {
  state: string;
  reason?: { type: string; message: string };
  report?: unknown[];
}

/**
 * Starts the file's world and an API over it before its tests (handing both to `use`), and closes
 * them after.
 */
export function worldWithApi<W extends { close(): Promise<void> }>(
  startWorld: () => Promise<W>,
  startApi: (world: W) => Promise<{ url: string; close: () => void }>,
  use: (world: W, api: string) => void,
): void {
  let world: W | undefined;
  let closeApi = () => {};
  beforeAll(async () => {
    world = await startWorld();
    const api = await startApi(world);
    closeApi = api.close;
    use(world, api.url);
  });
  afterAll(async () => {
    closeApi();
    await world?.close();
  });
}

export const postJson = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Starts a backup through the API (202 expected) and polls its status until it is no longer running. */
export async function backupOutcome(backupsUrl: string, body: Record<string, unknown>): Promise<BackupStatus> {
  const res = await postJson(backupsUrl, body);
  expect(res.status).toBe(202);
  const { status_url } = (await res.json()) as { status_url: string };
  const origin = new URL(backupsUrl).origin;
  for (;;) {
    const status = (await (await fetch(`${origin}${status_url}`)).json()) as BackupStatus;
    if (status.state !== 'running') return status;
    await new Promise((r) => setTimeout(r, 300));
  }
}
