// Which token a backup command uses: the environment variable when it is set (scripts, CI, the operator's
// own token), else the one `ferry login <network>` saved. A saved token past its expiry is refused here
// with the command that renews it, instead of failing later inside the workflow.
import { formatTime, isExpired, loadToken, NETWORK_NAMES, type TokenNetwork } from './token-store';

export interface ChosenToken {
  token: string;
  /** Saved alongside (Yandex): the Disk client renews an expired access token with it. */
  refreshToken?: string;
  /** Where it came from, for the "Tokens: …" line: `VK_TOKEN`, or "saved by `ferry login vk` (…)". */
  source: string;
  fromStore: boolean;
}

/** No usable token: `missing` is a usage problem (exit 2), `expired` an authorization one (exit 3). */
export class TokenUnavailable extends Error {
  constructor(
    message: string,
    readonly reason: 'missing' | 'expired',
  ) {
    super(message);
    this.name = 'TokenUnavailable';
  }
}

interface ChooseOptions {
  /** The variable that overrides the saved token, e.g. VK_TOKEN. */
  variable: string;
  /** What to say after "export VARIABLE" when nothing is set, e.g. "(a VK user token with the photos scope)". */
  hint?: string;
  /** A saved token past its access-token expiry is still usable (Yandex with a refresh token and the app's id). */
  acceptExpired?: (refreshToken: string | undefined) => boolean;
  env?: NodeJS.ProcessEnv;
  now?: Date;
}

/** The token for `network`: `options.variable` from the environment, else the saved one. Throws TokenUnavailable. */
export function chooseToken(network: TokenNetwork, options: ChooseOptions): ChosenToken {
  const env = options.env ?? process.env;
  const fromEnv = env[options.variable];
  if (fromEnv) return { token: fromEnv, source: options.variable, fromStore: false };
  const name = NETWORK_NAMES[network];
  const stored = loadToken(network, env);
  if (!stored) {
    throw new TokenUnavailable(
      `no ${name} token: run \`ferry login ${network}\`, or set ${options.variable}${options.hint ? ` ${options.hint}` : ''}`,
      'missing',
    );
  }
  if (isExpired(stored, options.now) && !options.acceptExpired?.(stored.refreshToken)) {
    throw new TokenUnavailable(
      `the ${name} token saved by \`ferry login ${network}\` expired on ${formatTime(stored.expiresAt!)}: run \`ferry login ${network}\` again`,
      'expired',
    );
  }
  const who = stored.userName ? `${stored.userName}, id ${stored.userId}` : stored.userId && `id ${stored.userId}`;
  const until = stored.expiresAt ? `expires ${formatTime(stored.expiresAt)}` : 'no expiry';
  return {
    token: stored.accessToken,
    ...(stored.refreshToken && { refreshToken: stored.refreshToken }),
    source: `saved by \`ferry login ${network}\` (${who ? `${who}; ` : ''}${until})`,
    fromStore: true,
  };
}

/** "Tokens: VK from VK_TOKEN; Yandex Disk saved by `ferry login yandex` (…)": printed on stderr. */
export function describeTokens(chosen: Array<[TokenNetwork, ChosenToken]>): string {
  const parts = chosen.map(
    ([network, c]) => `${NETWORK_NAMES[network]} ${c.fromStore ? c.source : `from ${c.source}`}`,
  );
  return `Tokens: ${parts.join('; ')}`;
}
