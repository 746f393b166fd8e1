// A workflow interceptor module for the replay test only: every activity, timer, child workflow and
// signal a workflow issues goes out through the `commands` sink, during replay too, so the test can
// compare them, arguments and all, with what the recorded history holds (replay itself checks only
// the kinds and order of commands, not what they carry).
import { proxySinks, type Sinks, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export interface Command {
  kind: 'activity' | 'timer' | 'child' | 'signal';
  name: string;
  args: unknown[];
  options?: object;
}

export interface CommandLogSinks extends Sinks {
  commands: { issued(command: Command): void };
}

const { commands } = proxySinks<CommandLogSinks>();

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [
    {
      scheduleActivity(input, next) {
        const { startToCloseTimeout, heartbeatTimeout, scheduleToCloseTimeout, retry } = input.options;
        const options = { startToCloseTimeout, heartbeatTimeout, scheduleToCloseTimeout, retry };
        commands.issued({ kind: 'activity', name: input.activityType, args: input.args, options });
        return next(input);
      },
      startTimer(input, next) {
        commands.issued({ kind: 'timer', name: 'timer', args: [input.durationMs] });
        return next(input);
      },
      startChildWorkflowExecution(input, next) {
        const name = `${input.workflowType} ${input.options.workflowId}`;
        commands.issued({ kind: 'child', name, args: input.options.args as unknown[] });
        return next(input);
      },
      signalWorkflow(input, next) {
        commands.issued({ kind: 'signal', name: input.signalName, args: input.args });
        return next(input);
      },
    },
  ],
});
