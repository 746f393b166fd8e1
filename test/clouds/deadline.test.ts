// A cloud request's deadline is cleared when the request is over: an AbortSignal.timeout stays armed for
// its whole span (10 minutes for an upload) and holds the finished request with it, which is what grew
// the worker by ~2 KB per file copied (docs/deploy.md#worker-memory).
import { describe, expect, it } from 'vitest';
import { deadline } from '../../activities/clouds/errors';

const armedTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('deadline', () => {
  it('leaves no timer armed once cleared, however long its span', () => {
    const parent = new AbortController().signal;
    const before = armedTimers();
    for (let i = 0; i < 1000; i++) deadline(parent, 10 * 60_000).clear();
    expect(armedTimers()).toBe(before);
  });

  it('aborts with a TimeoutError when its time is up', async () => {
    const due = deadline(undefined, 20);
    await new Promise((r) => due.signal.addEventListener('abort', r, { once: true }));
    expect((due.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it("follows the caller's signal, and stops following it once cleared", () => {
    const caller = new AbortController();
    const due = deadline(caller.signal, 60_000);
    caller.abort(new Error('cancelled'));
    expect(due.signal.aborted).toBe(true);
    expect((due.signal.reason as Error).message).toBe('cancelled');
    due.clear();

    const other = new AbortController();
    const cleared = deadline(other.signal, 60_000);
    cleared.clear();
    other.abort();
    expect(cleared.signal.aborted).toBe(false);
  });

  it('is aborted at once for a caller already cancelled', () => {
    const caller = new AbortController();
    caller.abort(new Error('gone'));
    const due = deadline(caller.signal, 60_000);
    expect(due.signal.aborted).toBe(true);
    due.clear();
  });
});
