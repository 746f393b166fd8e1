// `npm start`: the whole local stack in one command. Prints the URLs once everything is healthy and
// stops every process it started on Ctrl-C / SIGTERM.
import { ConfigError } from '../lib/config';
import { startStack } from './stack';

const quiet = new Set(['[postgres]']);
const log = (line: string) => {
  if (!quiet.has(line.split(' ')[0]!) || process.env.LOG_LEVEL === 'debug') console.log(line);
};

try {
  const stack = await startStack({ log });
  console.log(`
Ferry is up:
  API              ${stack.urls.api}   (docs: ${stack.urls.api}/docs, health: ${stack.urls.api}/readyz)
  Temporal Web UI  ${stack.urls.webUi}
  Temporal         ${stack.urls.temporal}
  PostgreSQL       ${stack.urls.database}
Try \`npm run demo\` in another terminal. Ctrl-C stops everything.
`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping Ferry...`);
    await stack.stop();
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : `npm start failed: ${(err as Error).message}`);
  process.exit(1);
}
