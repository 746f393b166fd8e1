// A secret handed to a workflow and its activity must never rest in plaintext in Temporal's history.
import { randomUUID } from 'node:crypto';
import proto from '@temporalio/proto';

const { temporal } = proto;
import { describe, expect, it } from 'vitest';
import { secretRoundTrip } from '../fixtures/workflows';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';

describe('encrypted payloads on a real Temporal server', () => {
  it('keeps the secret out of the stored history, and the result decodes to it', async () => {
    const client = await testClient();
    const taskQueue = uniqueTaskQueue('secret');
    const token = `ya29.secret-${randomUUID()}`;
    const activities = {
      async useSecret(secret: { token: string }) {
        return { echoed: `activity saw ${secret.token}` };
      },
    };

    const handle = await withWorker({ activities, taskQueue }, async () => {
      const h = await client.workflow.start(secretRoundTrip, {
        taskQueue,
        workflowId: `secret-${randomUUID()}`,
        args: [{ token }],
      });
      await h.result();
      return h;
    });

    expect(await handle.result()).toEqual({ echoed: `activity saw ${token}` });

    // Read the raw history as the server stores it, bypassing the client's codec.
    const raw = await client.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: handle.workflowId },
    });
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(raw.history!).finish());
    expect(raw.history!.events!.length).toBeGreaterThan(5);
    expect(bytes.includes(Buffer.from(token))).toBe(false);
    expect(bytes.includes(Buffer.from('binary/encrypted'))).toBe(true);
  });
});
