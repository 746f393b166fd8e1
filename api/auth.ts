// Who may call what. The operators' routes (the job routes: /vk-backups, /ok-backups, /backup-schedules,
// /etl-runs, and every module mounted with operatorRoutes) need `Authorization: Bearer <one of
// FERRY_API_TOKEN>` from every caller, loopback included, whenever the variable is set. It is required in
// production (assertApiConfig); in development without it only callers on this machine are served, so
// `npm start` works out of the box.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler } from 'express';
import type { Config } from '../lib/config';
import { HttpError } from './errors';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * True when `given` equals one of `tokens`. Both sides are hashed to 32 bytes first and every token is
 * compared, so the time taken says nothing about a token's length, its content or which one matched.
 */
export function matchesAnyToken(given: string, tokens: readonly string[]): boolean {
  const mine = digest(given);
  let matched = false;
  for (const token of tokens) matched = timingSafeEqual(mine, digest(token)) || matched;
  return matched;
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750: the scheme is case-insensitive). */
function bearerToken(req: Request): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '')?.[1];
}

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/**
 * A caller on this machine talking to us directly. Decided on the socket's address, never on a forwarded
 * header (`trust proxy` makes req.ip follow X-Forwarded-For, which any caller can write); and a request
 * that carries a proxy header came through a proxy on this machine, so it is not local even on loopback.
 */
export function isLocalCaller(req: Request): boolean {
  const address = req.socket.remoteAddress ?? '';
  const loopback = /^(127\.|::1$|::ffff:127\.)/.test(address);
  return loopback && PROXY_HEADERS.every((h) => req.headers[h] === undefined);
}

/** The check in front of the operators' routes. */
export function requireOperatorToken(config: Pick<Config, 'FERRY_API_TOKEN' | 'NODE_ENV'>): RequestHandler {
  const tokens = config.FERRY_API_TOKEN ?? [];
  const trustLocal = config.NODE_ENV !== 'production';
  return (req, res, next) => {
    if (tokens.length) {
      const given = bearerToken(req);
      if (given !== undefined && matchesAnyToken(given, tokens)) return next();
      res.setHeader('WWW-Authenticate', given ? 'Bearer realm="ferry", error="invalid_token"' : 'Bearer realm="ferry"');
      const message = given ? 'Wrong bearer token' : 'This route needs Authorization: Bearer <FERRY_API_TOKEN>';
      return next(new HttpError(401, 'unauthorized', message));
    }
    if (trustLocal && isLocalCaller(req)) return next();
    next(new HttpError(403, 'forbidden', 'FERRY_API_TOKEN is not set: only callers on this machine are served'));
  };
}

/**
 * The operators' router group: every request that reaches it passes requireOperatorToken first, whether
 * or not one of `modules` then matches it (an unknown path answers 401, not 404, to a caller without the
 * token). app.ts mounts it after the public routes; a new job's routes module is one more argument.
 */
export function operatorRoutes(config: Config, ...modules: Router[]): Router {
  const router = Router();
  router.use(requireOperatorToken(config));
  for (const routes of modules) router.use(routes);
  return router;
}

/** The header an API client (npm run demo, scripts) sends to the operators' routes: the first token. */
export function operatorAuthHeaders(config: Pick<Config, 'FERRY_API_TOKEN'>): Record<string, string> {
  const token = config.FERRY_API_TOKEN?.[0];
  return token ? { authorization: `Bearer ${token}` } : {};
}
