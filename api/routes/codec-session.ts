// A codec session for the Web UI in the browser. The open-source Web UI cannot send a static bearer
// token to the codec endpoint, but it can send cookies (TEMPORAL_CODEC_INCLUDE_CREDENTIALS=true): an
// operator signs in once at /codec/login with FERRY_CODEC_TOKEN and gets a signed, expiring, HttpOnly
// cookie scoped to /codec. The cookie proves knowledge of the token without containing it.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Router, type Request } from 'express';
import { rateLimit } from 'express-rate-limit';
import { matchesAnyToken } from '../auth';
import { HttpError } from '../errors';

const CODEC_COOKIE = 'ferry_codec';
const SESSION_SECONDS = 8 * 60 * 60;
// Wrong tokens per client address per window; right ones do not count. A 32-byte token cannot be
// guessed anyway: this keeps a guessing loop from costing us HMACs and log lines.
const LOGIN_FAILURES_PER_WINDOW = 10;
const LOGIN_WINDOW_MS = 15 * 60 * 1000;

const sign = (token: string, expires: number) =>
  createHmac('sha256', token).update(`ferry-codec-session:${expires}`).digest('base64url');

const sameSecret = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** True when the request carries an unexpired session cookie signed with `token`. */
export function hasCodecSession(req: Request, token: string, now = Date.now()): boolean {
  const cookie = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${CODEC_COOKIE}=`));
  const [expiresText, mac] = (cookie?.slice(CODEC_COOKIE.length + 1) ?? '').split('.');
  const expires = Number(expiresText);
  if (!mac || !Number.isInteger(expires) || expires * 1000 < now) return false;
  return sameSecret(mac, sign(token, expires));
}

const page = (message = '') => `<!doctype html><meta charset="utf-8"><title>Ferry codec sign-in</title>
<h1>Ferry codec sign-in</h1><p>Lets the Temporal Web UI in this browser decode Ferry's encrypted payloads.</p>
${message ? `<p><strong>${message}</strong></p>` : ''}
<form method="post" action="/codec/login"><label>Codec token <input type="password" name="token" autocomplete="off"></label>
<button type="submit">Sign in</button></form>`;

export function codecSessionRoutes(token: string | undefined): Router {
  const router = Router();
  router.get('/codec/login', (_req, res) => {
    res.type('html').send(page(token ? '' : 'FERRY_CODEC_TOKEN is not set on the server: sign-in is disabled.'));
  });
  const limiter = rateLimit({
    windowMs: LOGIN_WINDOW_MS,
    limit: LOGIN_FAILURES_PER_WINDOW,
    skipSuccessfulRequests: true,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) =>
      next(new HttpError(429, 'rate_limited', 'Too many codec sign-in attempts from this address; retry later')),
  });
  router.post('/codec/login', limiter, (req, res) => {
    const given = typeof req.body?.token === 'string' ? req.body.token : '';
    if (!token || !matchesAnyToken(given, [token])) {
      res.status(401).type('html').send(page('Wrong token.'));
      return;
    }
    const expires = Math.floor(Date.now() / 1000) + SESSION_SECONDS;
    // SameSite=None: the Web UI may be on another site than the API (Temporal Cloud's UI at
    // cloud.temporal.io calling ferry.example.com), and Lax/Strict would not send the cookie there. It is
    // safe because only listed origins may read a codec answer (exact CORS origins, `*` refused at start)
    // and the codec takes only application/json, which another site cannot send without a preflight.
    // Secure is required with None (browsers treat localhost as secure).
    res.setHeader(
      'Set-Cookie',
      `${CODEC_COOKIE}=${expires}.${sign(token, expires)}; Path=/codec; Max-Age=${SESSION_SECONDS}; HttpOnly; Secure; SameSite=None`,
    );
    res.type('html').send('<!doctype html><meta charset="utf-8"><p>Signed in: reload the Temporal Web UI.</p>');
  });
  return router;
}
