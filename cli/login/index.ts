// `ferry login <vk|ok|yandex|google>` and `ferry login --status`: get a token the way the provider
// hands it to a person, check it with one API call, keep it for the next runs (cli/token-store.ts).
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig } from '../../lib/config';
import { googleLogin } from '../google-auth';
import { LoginFailed, terminalIO } from './io';
import { loginOk } from './ok';
import { statusLines } from './status';
import { loginVk } from './vk';
import { loginYandex } from './yandex';

const NETWORKS = ['vk', 'ok', 'yandex', 'google'] as const;
type Network = (typeof NETWORKS)[number];

/** The same codes as the backups': 2 fix your input or configuration, 3 the provider refused, 1 try later. */
const EXIT_FOR: Record<LoginFailed['kind'], number> = { usage: 2, auth: 3, unavailable: 1 };

interface Options {
  status?: boolean;
  paste?: boolean;
  clientSecrets?: string;
}

function parseNetwork(v: string): Network {
  const n = v.toLowerCase() === 'yadisk' ? 'yandex' : v.toLowerCase() === 'gdrive' ? 'google' : v.toLowerCase();
  if (!(NETWORKS as readonly string[]).includes(n)) throw new InvalidArgumentError('use vk, ok, yandex or google');
  return n as Network;
}

async function run(network: Network | undefined, opts: Options): Promise<number> {
  if (opts.status) {
    for (const line of statusLines()) process.stdout.write(`${line}\n`);
    return 0;
  }
  if (!network)
    throw new LoginFailed('say which: `ferry login vk|ok|yandex|google`, or `ferry login --status`', 'usage');
  const config = loadConfig();
  const io = terminalIO();
  if (network === 'vk') await loginVk(config, io);
  else if (network === 'ok') await loginOk(config, io);
  else if (network === 'yandex') await loginYandex(config, io, { paste: opts.paste });
  else {
    // The path is the user's, relative to where they ran `ferry` (bin/ferry.sh runs us from the project).
    const clientSecretsPath =
      opts.clientSecrets && resolve(process.env.FERRY_CALLER_CWD ?? process.cwd(), opts.clientSecrets);
    const file = await googleLogin(config, { clientSecretsPath, say: io.say }).catch((err: unknown) => {
      throw new LoginFailed((err as Error).message);
    });
    io.say(`Saved the Google Drive refresh token to ${file} (0600).`);
  }
  return 0;
}

export function loginCommand(): Command {
  return new Command('login')
    .description('get a token for VK, OK, Yandex Disk or Google Drive and keep it for the next runs')
    .argument('[network]', 'vk, ok, yandex or google', parseNetwork)
    .option('--status', 'list the saved tokens and when they expire (never the tokens)')
    .option('--paste', 'yandex: paste a ready token (the Polygon page) instead of the browser flow')
    .option('--client-secrets <path>', "google: the app's client_secrets.json (else GOOGLE_CLIENT_ID/SECRET)")
    .action(async (network: Network | undefined, opts: Options) => {
      try {
        process.exitCode = await run(network, opts);
      } catch (err) {
        let code = 1;
        if (err instanceof LoginFailed) code = EXIT_FOR[err.kind];
        else if (err instanceof ConfigError) code = 2;
        const message = err instanceof ConfigError ? err.problems.join('; ') : (err as Error).message.split('\n')[0];
        process.stderr.write(`ferry: ${message}\n`);
        process.exitCode = code;
      }
      process.exit(process.exitCode);
    });
}
