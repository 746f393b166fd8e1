// What every `ferry login <network>` shares: talking to the user (stdout), reading the address they paste
// (stdin, a terminal or a pipe, so it also runs non-interactively), and taking the OAuth answer out of it.
import { createInterface } from 'node:readline';

export interface LoginIO {
  say(line: string): void;
  /** The first non-empty line the user pastes; undefined when the input ends first. */
  read(): Promise<string | undefined>;
}

/** A login that cannot finish: one sentence for the user. `auth` = the provider refused (exit 3). */
export class LoginFailed extends Error {
  constructor(
    message: string,
    readonly kind: 'auth' | 'usage' | 'unavailable' = 'auth',
  ) {
    super(message);
    this.name = 'LoginFailed';
  }
}

export function terminalIO(input: NodeJS.ReadableStream = process.stdin): LoginIO {
  return {
    say: (line) => process.stdout.write(`${line}\n`),
    read: () =>
      new Promise((resolve) => {
        const rl = createInterface({ input, terminal: false });
        let done = false;
        const finish = (value: string | undefined) => {
          if (done) return;
          done = true;
          rl.close();
          resolve(value);
        };
        rl.on('line', (line) => {
          if (line.trim()) finish(line.trim());
        });
        rl.on('close', () => finish(undefined));
      }),
  };
}

/**
 * The parameters of what the user pasted: the whole address the provider redirected to (the answer is in
 * its #fragment for the implicit flow, in its ?query for errors of some providers), only its fragment, or
 * a bare token as the course briefs have users copy it.
 */
export function pastedParams(text: string): URLSearchParams {
  const t = text.trim();
  const hash = t.indexOf('#');
  const address = hash >= 0 ? t.slice(0, hash) : t;
  const question = address.indexOf('?');
  if (hash >= 0 || question >= 0) {
    const params = new URLSearchParams(hash >= 0 ? t.slice(hash + 1) : '');
    const query = new URLSearchParams(question >= 0 ? address.slice(question + 1) : '');
    for (const [k, v] of query) if (!params.has(k)) params.set(k, v);
    return params;
  }
  if (t.includes('=')) return new URLSearchParams(t);
  // A bare token: letters, digits and the few marks providers use (VK "vk1.a.…", Yandex "y0_…", OK "-s-…").
  if (/^[\w.~+/-]+$/.test(t)) return new URLSearchParams({ access_token: t });
  return new URLSearchParams();
}

/** The provider's refusal in a pasted address (`error=access_denied&error_description=…`), as one sentence. */
export function refusal(provider: string, params: URLSearchParams): LoginFailed | undefined {
  const error = params.get('error');
  if (!error) return undefined;
  const description = params.get('error_description');
  const why = error === 'access_denied' ? 'access was not allowed' : `the authorization failed`;
  return new LoginFailed(
    `${provider} gave no token: ${why} (${error}${description ? `: ${description}` : ''}); open the link again and allow access`,
  );
}

/** Seconds from the provider's `expires_in` to a date; 0, absent or garbage = no expiry given. */
export function expiryFrom(expiresIn: string | number | null | undefined, now = Date.now()): Date | undefined {
  const seconds = Number(expiresIn);
  return Number.isFinite(seconds) && seconds > 0 ? new Date(now + seconds * 1000) : undefined;
}

/**
 * Reads what the user pastes and takes the token out of it: one sentence when nothing was pasted
 * (`again` says what to do), the provider refused, or no token is in it (`noToken`).
 */
export async function readPastedToken(
  io: LoginIO,
  provider: string,
  say: { again: string; noToken: string },
): Promise<{ token: string; params: URLSearchParams }> {
  const pasted = await io.read();
  if (!pasted) throw new LoginFailed(`nothing was pasted: ${say.again}`, 'usage');
  const params = pastedParams(pasted);
  const refused = refusal(provider, params);
  if (refused) throw refused;
  const token = params.get('access_token');
  if (!token) throw new LoginFailed(say.noToken, 'usage');
  return { token, params };
}

/** The implicit flow (VK, OK): the user opens `link`, allows access and pastes the address the provider opens. */
export async function pasteRedirect(
  io: LoginIO,
  flow: { provider: string; link: string; redirectUri: string; command: string },
): Promise<{ token: string; params: URLSearchParams }> {
  const { provider } = flow;
  io.say('Open this link in your browser and allow Ferry to read your photos:');
  io.say(`  ${flow.link}`);
  io.say(`Then paste the address of the page ${provider} opens (it starts with ${flow.redirectUri}#access_token=):`);
  return readPastedToken(io, provider, {
    again: `run \`${flow.command}\` again and paste the address`,
    noToken: `the pasted text has no access_token: paste the whole address of the page ${provider} opened after you allowed access`,
  });
}
