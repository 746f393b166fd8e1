// A finished gallery transfer ends the user's grant at the provider (Google: the refresh token at
// GOOGLE_REVOKE_URL; Yandex: the device-bound token at /revoke_token), whether the copy succeeded or the
// listing failed, and the gallery's name never becomes a plaintext search attribute.
import { beforeAll, describe, expect, it } from 'vitest';
import { revokeGrant } from '../../activities/gallery/revoke';
import { workflowIdOf } from '../../lib/jobs/cloud-archive';
import { FerryCloudType, FerryJob } from '../../lib/search-attributes';
import {
  archive,
  body,
  callback,
  consent,
  photos,
  start,
  startStack,
  withStackWorker,
  SUCCESS,
  waitForState,
  type Stack,
} from './harness';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});

const worker = <T>(fn: () => Promise<T>) => withStackWorker(stack, fn);

async function transfer(payload: Record<string, unknown>, listed = true) {
  const a = archive();
  if (listed) stack.gallery.setListing(a.path, photos(stack, ['Album/one.jpg', 'two.jpg']));
  const { id, redirectTo } = await start(stack, body({ archive_url: a.url, ...payload }));
  expect(await callback(await consent(redirectTo))).toMatchObject({ status: 302, location: SUCCESS });
  return { id, final: await waitForState(stack, id, ['done', 'failed'], 90_000) };
}

describe('revoking the grant when a transfer finishes', () => {
  it('revokes the Google refresh token after the copy, and keeps the gallery name out of search attributes', async () => {
    const before = stack.google.revocations.length;
    const { id, final } = await worker(() => transfer({ gallery_name: 'Secret wedding', cloud_type: 'google_drive' }));
    expect(final).toMatchObject({ state: 'done', report: { copied: 2 } });
    const revoked = stack.google.revocations.slice(before);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ status: 200 });
    expect(stack.google.liveRefreshToken(revoked[0]!.token)).toBe(false);

    const desc = await stack.temporal.workflow.getHandle(workflowIdOf(id)).describe();
    expect(desc.typedSearchAttributes.get(FerryJob)).toBe('cloud_archive');
    expect(desc.typedSearchAttributes.get(FerryCloudType)).toBe('google_drive');
    const attributes = JSON.stringify(desc.raw.workflowExecutionInfo?.searchAttributes ?? {});
    expect(attributes).not.toContain(Buffer.from('Secret wedding').toString('base64'));
    expect(desc.typedSearchAttributes.getAll().map((p) => p.key.name)).not.toContain('FerryGalleryName');
  });

  it('asks Yandex for a device-bound token and revokes it after the copy', async () => {
    const before = stack.yandex.revocations.length;
    const { id, final } = await worker(() => transfer({ cloud_type: 'yadisk' }));
    expect(final).toMatchObject({ state: 'done' });
    expect(stack.yandex.authRequests.at(-1)).toMatchObject({ device_id: `ferry-${id}` });
    const revoked = stack.yandex.revocations.slice(before);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ status: 200 });
    expect(stack.yandex.validToken(revoked[0]!.accessToken)).toBe(false);
  });

  it('revokes also when the transfer fails before copying (the listing is gone)', async () => {
    const before = stack.google.revocations.length;
    const { final } = await worker(() => transfer({ cloud_type: 'google_drive' }, false));
    expect(final).toMatchObject({ state: 'failed', error: { type: 'SourceNotFound' } });
    expect(stack.google.revocations.slice(before)).toMatchObject([{ status: 200 }]);
  });
});

describe('revokeGrant', () => {
  it('reports a Yandex token that was not issued for a device as not revoked, without failing', async () => {
    const { accessToken } = stack.yandex.issueTokens();
    expect(await revokeGrant(stack.config, { cloud: 'yadisk', token: accessToken })).toMatchObject({
      revoked: false,
      detail: expect.stringMatching(/unsupported_token_type/),
    });
    expect(stack.yandex.validToken(accessToken)).toBe(true);
  });

  it('treats an already revoked Google token as done, and a provider outage as retryable', async () => {
    const { refreshToken } = stack.google.issueTokens();
    stack.google.revokeRefreshToken(refreshToken);
    expect(await revokeGrant(stack.config, { cloud: 'google_drive', refreshToken })).toMatchObject({ revoked: true });
    stack.google.faults.add({ path: '/revoke', times: 1, fault: { kind: 'status', status: 503 } });
    await expect(
      revokeGrant(stack.config, { cloud: 'google_drive', refreshToken: stack.google.issueTokens().refreshToken }),
    ).rejects.toMatchObject({ type: 'OAuthUnavailable', nonRetryable: false });
  });
});
