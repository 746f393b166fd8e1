// The copy's minor-GC pacing: one collection per RELEASE_EVERY_BYTES streamed by all copies together,
// nothing without --expose-gc, and a real V8 minor collection when Node runs with the image's flags.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BufferRelease, RELEASE_EVERY_BYTES } from '../../activities/copy/buffer-release';
import { WORKER_NODE_FLAGS } from '../../workers/node-flags';

describe('BufferRelease', () => {
  it('collects once per RELEASE_EVERY_BYTES streamed, however the bytes are split', () => {
    let calls = 0;
    const release = new BufferRelease(() => calls++);
    const chunk = 65_536;
    for (let sent = 0; sent < 10 * RELEASE_EVERY_BYTES; sent += chunk) release.streamed(chunk);
    expect(calls).toBe(10);
    expect(release.collections).toBe(10);
  });

  it('does nothing when Node runs without --expose-gc', () => {
    const release = new BufferRelease(undefined);
    release.streamed(10 * RELEASE_EVERY_BYTES);
    expect(release.collections).toBe(0);
  });

  it("runs V8's minor GC in a process started with the worker's Node flags", () => {
    const script = [
      "const { bufferRelease, RELEASE_EVERY_BYTES } = await import('./activities/copy/buffer-release.ts');",
      'for (let i = 0; i < 3; i++) bufferRelease.streamed(RELEASE_EVERY_BYTES);',
      'console.log(bufferRelease.collections);',
    ].join('\n');
    const run = (flags: string[]) =>
      execFileSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], {
        encoding: 'utf8',
      }).trim();
    expect(run(WORKER_NODE_FLAGS)).toBe('3');
    expect(run([])).toBe('0');
  });
});
