// The loopback half of a desktop OAuth flow (RFC 8252 §7.3): a one-shot HTTP server on the redirect URI's
// address that takes the provider's ?code=…&state=… (or ?error=…) from the browser and closes.
import { createServer } from 'node:http';
import { LoginFailed } from './io';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

interface LoopbackRedirect {
  /** Resolves with the code once the browser comes back with it and the right state. */
  code: Promise<string>;
  close(): void;
}

/** Validates the redirect URI: plain http on a loopback address with an explicit port (the app registers it). */
function loopbackAddress(redirectUri: string): { host: string; port: number; path: string } {
  const url = new URL(redirectUri);
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname) || !url.port) {
    throw new LoginFailed(
      `the login redirect ${redirectUri} must be http://127.0.0.1:PORT/ (or localhost) with a port, registered in your app`,
      'usage',
    );
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port), path: url.pathname };
}

export async function listenForRedirect(
  redirectUri: string,
  options: { provider: string; state: string; timeoutMs: number },
): Promise<LoopbackRedirect> {
  const { host, port, path } = loopbackAddress(redirectUri);
  let settle!: { resolve: (code: string) => void; reject: (err: Error) => void };
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== path) return void res.writeHead(404).end();
    const error = url.searchParams.get('error');
    const got = url.searchParams.get('code');
    const ok = !error && got && url.searchParams.get('state') === options.state;
    res
      .writeHead(ok ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' })
      .end(ok ? `Ferry has your ${options.provider} authorization. You can close this tab.` : 'Authorization failed.');
    if (error) {
      const description = url.searchParams.get('error_description');
      settle.reject(
        new LoginFailed(`${options.provider} gave no token: ${error}${description ? ` (${description})` : ''}`),
      );
    } else if (ok) settle.resolve(got);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new LoginFailed(
          err.code === 'EADDRINUSE'
            ? `port ${port} of ${redirectUri} is in use: free it or register another redirect URI and set it`
            : `cannot listen on ${redirectUri}: ${err.message}`,
          'usage',
        ),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const timer = setTimeout(
    () =>
      settle.reject(
        new LoginFailed(`${options.provider} authorization timed out (${options.timeoutMs / 60_000} minutes)`),
      ),
    options.timeoutMs,
  );
  return {
    code,
    close: () => {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close();
    },
  };
}
