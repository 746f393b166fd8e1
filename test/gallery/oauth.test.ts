// The OAuth callbacks end to end (real API, real Temporal, the providers' fakes): denied consent, a
// failed exchange and an expired request go to the fail link; a replayed, tampered, unknown or
// cross-provider state gets a 400 and no redirect.
import { beforeAll, describe, expect, it } from 'vitest';
import { createGalleryActivities } from '../../activities/gallery';
import { newRequestId, signState } from '../../api/oauth/state';
import { workflowIdOf } from '../../lib/jobs/cloud-archive';
import { FerryStatus } from '../../lib/search-attributes';
import { withWorker } from '../helpers/temporal';
import {
  archive,
  body,
  callback,
  consent,
  FAIL,
  start,
  startStack,
  status,
  SUCCESS,
  waitForState,
  type Stack,
} from './harness';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});

const worker = <T>(s: Stack, fn: () => Promise<T>) =>
  withWorker({ activities: createGalleryActivities(s), taskQueue: s.taskQueue, config: s.config }, fn);

function withState(url: URL, state: string): URL {
  const u = new URL(url);
  u.searchParams.set('state', state);
  return u;
}

describe('OAuth callback', () => {
  it('denied consent sends the user to the fail link and fails the request', async () => {
    await worker(stack, async () => {
      for (const cloud of ['google_drive', 'yadisk'] as const) {
        const provider = cloud === 'google_drive' ? stack.google : stack.yandex;
        provider.setConsent('deny');
        try {
          const { id, redirectTo } = await start(stack, body({ cloud_type: cloud }));
          const back = await consent(redirectTo);
          expect(back.searchParams.get('error')).toBe('access_denied');
          const r = await callback(back);
          expect(r.status).toBe(302);
          expect(r.location).toBe(FAIL);
          const s = await waitForState(stack, id, ['failed']);
          expect(s.error).toMatchObject({ type: 'AuthorizationDenied' });
        } finally {
          provider.setConsent('allow');
        }
      }
    });
  });

  it('a replayed callback gets 400 and no redirect; the first one counted', async () => {
    await worker(stack, async () => {
      const a = archive();
      stack.gallery.setListingStatus(a.path, 404);
      const { id, redirectTo } = await start(stack, body({ archive_url: a.url }));
      const back = await consent(redirectTo);
      const first = await callback(back);
      expect(first).toMatchObject({ status: 302, location: SUCCESS });
      const again = await callback(back);
      expect(again.status).toBe(400);
      expect(again.location).toBeNull();
      expect(JSON.parse(again.body)).toMatchObject({ error: { code: 'invalid_state' } });
      // The archive is gone at the platform: the request fails with a clear reason.
      const s = await waitForState(stack, id, ['failed']);
      expect(s.error).toMatchObject({ type: 'SourceNotFound' });
      // Still refused once the workflow has closed.
      expect((await callback(back)).status).toBe(400);
    });
  });

  it('a tampered, unknown, missing or cross-provider state gets 400; the genuine one still works', async () => {
    await worker(stack, async () => {
      const a = archive();
      stack.gallery.setListingStatus(a.path, 404);
      const { id, redirectTo } = await start(stack, body({ archive_url: a.url }));
      const back = await consent(redirectTo);
      const state = back.searchParams.get('state')!;
      const [rid, mac] = state.split('.') as [string, string];
      const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
      for (const bad of [
        `${rid}.${flip(mac)}`,
        `${flip(rid)}.${mac}`,
        `${rid}.${mac}.x`,
        rid,
        signState(newRequestId(), stack.config.encryptionKeys),
      ]) {
        const r = await callback(withState(back, bad));
        expect(r.status, bad).toBe(400);
        expect(r.location).toBeNull();
      }
      const noState = new URL(back);
      noState.searchParams.delete('state');
      expect((await callback(noState)).status).toBe(400);
      const yandexPath = new URL(back);
      yandexPath.pathname = '/oauth/yandex/callback';
      expect((await callback(yandexPath)).status).toBe(400);

      expect(await callback(back)).toMatchObject({ status: 302, location: SUCCESS });
      const s = await status(stack, id);
      expect(['listing', 'copying', 'notifying', 'done', 'failed']).toContain(s.state);
    });
  });

  it('a code the provider refuses to exchange sends the user to the fail link', async () => {
    await worker(stack, async () => {
      const { id, redirectTo } = await start(stack, body({ cloud_type: 'yadisk' }));
      const back = await consent(redirectTo);
      back.searchParams.set('code', '9999999');
      expect(await callback(back)).toMatchObject({ status: 302, location: FAIL });
      const s = await waitForState(stack, id, ['failed']);
      expect(s.error).toMatchObject({ type: 'AuthorizationDenied' });
      expect(JSON.stringify(s.error)).toContain('invalid_grant');
    });
  });

  it('an expired request sends a late user to the fail link and is marked expired', async () => {
    const quick = await startStack({ CLOUD_ARCHIVE_AUTH_TIMEOUT_SECONDS: '1' });
    await worker(quick, async () => {
      const { id, redirectTo } = await start(quick, body());
      const back = await consent(redirectTo);
      const s = await waitForState(quick, id, ['expired'], 30_000);
      expect(s.error).toMatchObject({ type: 'AuthorizationExpired' });
      expect(await callback(back)).toMatchObject({ status: 302, location: FAIL });
      const desc = await quick.temporal.workflow.getHandle(workflowIdOf(id)).describe();
      expect(desc.status.name).toBe('FAILED');
      expect(desc.typedSearchAttributes.get(FerryStatus)).toBe('expired');
    });
  });
});
