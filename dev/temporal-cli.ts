// Where the Temporal CLI is: TEMPORAL_CLI_PATH, then `temporal` on PATH, then the project's cache
// (.tools/bin, filled by scripts/ferry.sh setup, which builds it with `go install` when missing).
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

const executable = (p: string) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export function findTemporalCli(root = process.cwd()): string {
  const fromEnv = process.env.TEMPORAL_CLI_PATH;
  if (fromEnv && executable(fromEnv)) return fromEnv;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && executable(join(dir, 'temporal'))) return join(dir, 'temporal');
  }
  const cached = resolve(root, '.tools/bin/temporal');
  if (executable(cached)) return cached;
  throw new Error(
    'Temporal CLI not found: run `npm run setup` (it builds it into .tools/bin) or set TEMPORAL_CLI_PATH',
  );
}
