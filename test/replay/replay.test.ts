// Workflows already running when new code ships are replayed by it: histories recorded before a
// refactor (test/replay/record-histories.ts) must replay, and today's code must issue the very commands
// they hold — the same activities, timers, children and signals, in the same order, with the same
// arguments and activity options. Temporal's replay checks only the kinds and order; the command log
// (test/replay/command-log.ts) checks the rest.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import proto from '@temporalio/proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { AesGcmCodec, FAILURE_CONVERTER_PATH, ferryDataConverter } from '../../lib/codec';
import { tracingWorkerParts, WORKFLOW_INTERCEPTOR_MODULES } from '../../workers/tracing';
import { WORKFLOWS_PATH } from '../../workers/worker';
import type { Command } from './command-log';
import { decodeHistories, HISTORIES_DIR, REPLAY_KEY } from './scenarios';

const { EventType } = proto.temporal.api.enums.v1;
type History = ReturnType<typeof decodeHistories>[number]['history'];
type Duration = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;

const codec = new AesGcmCodec([REPLAY_KEY]);
const valuesOf = async (payloads: Payload[] | null | undefined) =>
  (await codec.decode(payloads ?? [])).map((p) => defaultPayloadConverter.fromPayload(p));
const ms = (d: Duration) => (d ? Number(String(d.seconds ?? 0)) * 1000 + Math.round((d.nanos ?? 0) / 1e6) : 0);
/** JSON as a payload carries it: undefined fields dropped. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v ?? null));

/** The options a workflow gave an activity, in milliseconds: only those it set (the server fills the rest). */
function activityOptions(o: Record<string, unknown>) {
  const retry = (o.retry ?? {}) as Record<string, unknown>;
  const scheduleToClose = msOptionalToNumber(o.scheduleToCloseTimeout as string);
  const startToClose = msOptionalToNumber(o.startToCloseTimeout as string);
  return plain({
    // The server caps start-to-close at schedule-to-close.
    startToCloseTimeout: scheduleToClose && startToClose ? Math.min(scheduleToClose, startToClose) : startToClose,
    heartbeatTimeout: msOptionalToNumber(o.heartbeatTimeout as string),
    scheduleToCloseTimeout: scheduleToClose,
    retry: {
      initialInterval: msOptionalToNumber(retry.initialInterval as string),
      maximumInterval: msOptionalToNumber(retry.maximumInterval as string),
      backoffCoefficient: retry.backoffCoefficient,
      maximumAttempts: retry.maximumAttempts,
      nonRetryableErrorTypes: retry.nonRetryableErrorTypes,
    },
  }) as { retry: Record<string, unknown> } & Record<string, unknown>;
}

/** The commands a history records, as the command log names them. */
async function recordedCommands(history: History): Promise<Command[]> {
  const commands: Command[] = [];
  for (const e of history.events) {
    const activity = e.activityTaskScheduledEventAttributes;
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    const signal = e.signalExternalWorkflowExecutionInitiatedEventAttributes;
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && activity) {
      const r = activity.retryPolicy;
      const options = {
        startToCloseTimeout: ms(activity.startToCloseTimeout),
        heartbeatTimeout: ms(activity.heartbeatTimeout),
        scheduleToCloseTimeout: ms(activity.scheduleToCloseTimeout),
        retry: {
          initialInterval: ms(r?.initialInterval),
          maximumInterval: ms(r?.maximumInterval),
          backoffCoefficient: r?.backoffCoefficient,
          maximumAttempts: r?.maximumAttempts,
          nonRetryableErrorTypes: r?.nonRetryableErrorTypes,
        },
      };
      const args = await valuesOf(activity.input?.payloads);
      commands.push({ kind: 'activity', name: activity.activityType!.name!, args, options });
    } else if (e.eventType === EventType.EVENT_TYPE_TIMER_STARTED) {
      commands.push({ kind: 'timer', name: 'timer', args: [ms(e.timerStartedEventAttributes?.startToFireTimeout)] });
    } else if (e.eventType === EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED && child) {
      const name = `${child.workflowType!.name} ${child.workflowId}`;
      commands.push({ kind: 'child', name, args: await valuesOf(child.input?.payloads) });
    } else if (e.eventType === EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED && signal) {
      commands.push({ kind: 'signal', name: signal.signalName!, args: await valuesOf(signal.input?.payloads) });
    }
  }
  return commands;
}

/** What the history recorded, kept to the options the workflow sets (the server adds defaults). */
function comparable(recorded: Command, issued: Command | undefined): Command {
  if (recorded.kind !== 'activity' || issued?.kind !== 'activity')
    return { ...recorded, args: plain(recorded.args) as unknown[] };
  const set = activityOptions(issued.options as Record<string, unknown>);
  const all = recorded.options as { retry: Record<string, unknown> } & Record<string, unknown>;
  const pick = (from: Record<string, unknown>, like: Record<string, unknown>) =>
    Object.fromEntries(Object.keys(like).map((k) => [k, from[k]]));
  const options = { ...pick(all, set), retry: pick(all.retry, set.retry) };
  return { ...recorded, args: plain(recorded.args) as unknown[], options: plain(options) as object };
}

const issuedComparable = (c: Command): Command => ({
  ...c,
  args: plain(c.args) as unknown[],
  ...(c.options && { options: activityOptions(c.options as Record<string, unknown>) }),
});

let code: string;
beforeAll(async () => {
  ({ code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [
      ...WORKFLOW_INTERCEPTOR_MODULES,
      fileURLToPath(new URL('./command-log.ts', import.meta.url)),
    ],
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  }));
});

const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.bin'));

describe('histories recorded before a refactor', () => {
  it('cover the copy engine and every outcome of a gallery archive request', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  it.each(files)('%s replays, issuing the recorded commands', { timeout: 120_000 }, async (file) => {
    const histories = decodeHistories(readFileSync(`${HISTORIES_DIR}/${file}`));
    const issued = new Map<string, Command[]>();
    const replays = Worker.runReplayHistories(
      {
        workflowBundle: { code },
        dataConverter: ferryDataConverter([REPLAY_KEY]),
        sinks: {
          ...tracingWorkerParts(undefined).sinks,
          commands: {
            issued: {
              fn: (info: { workflowId: string }, command: Command) => {
                issued.set(info.workflowId, [...(issued.get(info.workflowId) ?? []), command]);
              },
              callDuringReplay: true,
            },
          },
        },
      },
      histories,
    );
    for await (const result of replays) expect(result.error, result.workflowId).toBeUndefined();

    let compared = 0;
    for (const { workflowId, history } of histories) {
      const mine = (issued.get(workflowId) ?? []).map(issuedComparable);
      const recorded = await recordedCommands(history);
      expect(mine, workflowId).toEqual(recorded.map((r, i) => comparable(r, issued.get(workflowId)?.[i])));
      compared += recorded.length;
    }
    expect(compared).toBeGreaterThan(0);
  });
});
