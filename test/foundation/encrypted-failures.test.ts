// Failure messages leave the worker encrypted (the failure converter encodes message and stack into a
// payload the codec encrypts), the client and the codec endpoint still read them, and a production
// worker refuses a workflow whose input arrives unencrypted.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import proto, { type temporal as protos } from '@temporalio/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { AesGcmCodec } from '../../lib/codec';
import { createPool } from '../../lib/db';
import { createLogger } from '../../lib/logger';
import { secretFailure, secretRoundTrip } from '../fixtures/workflows';
import { testConfig } from '../helpers/config';
import { testClient, uniqueTaskQueue, withWorker } from '../helpers/temporal';

const { temporal } = proto;
type HistoryEvent = protos.api.history.v1.IHistoryEvent;
type Failure = protos.api.failure.v1.IFailure;

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const rawHistory = async (client: Client, workflowId: string) =>
  (await client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } }))
    .history!;

/** The message a failure carries, decoding its encoded attributes as the Web UI does (via the codec). */
async function messageOf(failure: Failure, codec: AesGcmCodec): Promise<string> {
  if (!failure.encodedAttributes) return failure.message ?? '';
  const [plain] = await codec.decode([failure.encodedAttributes]);
  return (defaultPayloadConverter.fromPayload(plain!) as { message: string }).message;
}

describe('encrypted failures on a real Temporal server', () => {
  it('keeps activity and workflow failure messages out of the stored history; the client reads them', async () => {
    const config = testConfig();
    const client = await testClient(config);
    const taskQueue = uniqueTaskQueue('failure');
    const secret = `ya29.failure-${randomUUID()}`;
    const activities = {
      async failWithSecret(s: string) {
        throw ApplicationFailure.nonRetryable(`the token ${s} was refused`, 'SecretProbe');
      },
    };
    const workflowId = `secret-failure-${randomUUID()}`;
    const err = await withWorker({ activities, taskQueue, config }, () =>
      client.workflow.execute(secretFailure, { taskQueue, workflowId, args: [secret] }).catch((e: unknown) => e),
    );

    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toBe(`the workflow gave up on ${secret}`);

    const history = await rawHistory(client, workflowId);
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expect(bytes.includes(Buffer.from(secret))).toBe(false);
    const events = history.events as HistoryEvent[];
    const activityFailure = events.find((e) => e.activityTaskFailedEventAttributes)!.activityTaskFailedEventAttributes!
      .failure!;
    const workflowFailure = events.find((e) => e.workflowExecutionFailedEventAttributes)!
      .workflowExecutionFailedEventAttributes!.failure!;
    expect(activityFailure.message).toBe('Encoded failure');
    expect(workflowFailure.message).toBe('Encoded failure');

    // The codec endpoint (what the Web UI calls) turns the encoded attributes back into the message.
    const pool = createPool(config.DATABASE_URL!);
    const app = createApp({ config, temporal: client, pool, logger: createLogger({ level: 'silent' }) });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    cleanups.push(
      () => new Promise((r) => server.close(r)),
      () => pool.end(),
    );
    const encoded = activityFailure.encodedAttributes!;
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(encoded.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
            ),
            data: Buffer.from(encoded.data!).toString('base64'),
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: Array<{ data: string }> };
    expect(JSON.parse(Buffer.from(payloads[0]!.data, 'base64').toString('utf8'))).toMatchObject({
      message: `the token ${secret} was refused`,
    });
  });

  it('a production worker refuses a workflow started with unencrypted input', async () => {
    const config = testConfig();
    const codec = new AesGcmCodec(config.encryptionKeys);
    const taskQueue = uniqueTaskQueue('plaintext');
    // A client without Ferry's codec: what anyone who can reach Temporal could use.
    const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    cleanups.push(() => connection.close());
    const plain = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    let ran = 0;
    const activities = {
      async useSecret(secret: { token: string }) {
        ran += 1;
        return { echoed: secret.token };
      },
    };
    const workflowId = `plaintext-${randomUUID()}`;
    const production = { ...config, NODE_ENV: 'production' as const };
    const refusal = await withWorker({ activities, taskQueue, config: production }, async () => {
      await plain.workflow.start(secretRoundTrip, { taskQueue, workflowId, args: [{ token: 'plain' }] });
      for (let i = 0; i < 100; i++) {
        const events = (await rawHistory(plain, workflowId)).events as HistoryEvent[];
        const failed = events.find((e) => e.workflowTaskFailedEventAttributes);
        if (failed) return messageOf(failed.workflowTaskFailedEventAttributes!.failure!, codec);
        await new Promise((r) => setTimeout(r, 100));
      }
      return 'no workflow task failed';
    });
    await plain.workflow.getHandle(workflowId).terminate('test over');
    expect(refusal).toMatch(/Refusing an unencrypted payload/);
    expect(ran).toBe(0);
  });
});
