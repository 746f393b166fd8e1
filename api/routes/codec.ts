// The codec endpoint of the Temporal Web UI (`--ui-codec-endpoint`): the UI posts encrypted payloads
// here and shows operators the decoded values. Guarded by a bearer token (FERRY_CODEC_TOKEN) or a browser
// session signed with it (codec-session.ts: the Web UI can send cookies, not a static token); without
// one configured, only local callers (a dev UI on this machine) are served, and never in production,
// where a mesh sidecar or a local proxy makes every caller loopback (production requires the token).
import { Router, type RequestHandler } from 'express';
import type { Payload } from '@temporalio/common';
import { AesGcmCodec } from '../../lib/codec';
import type { ApiDeps } from '../deps';
import { isLocalCaller, matchesAnyToken } from '../auth';
import { HttpError, parseOr400 } from '../errors';
import { ErrorBody, registry, z } from '../openapi';
import { codecSessionRoutes, hasCodecSession } from './codec-session';

const JsonPayload = z.object({
  metadata: z.record(z.string(), z.string()).optional(),
  data: z.string().optional(),
});
const CodecBody = registry.register('CodecPayloads', z.object({ payloads: z.array(JsonPayload) }));

for (const op of ['encode', 'decode'] as const) {
  registry.registerPath({
    method: 'post',
    path: `/codec/${op}`,
    summary: `Temporal Web UI codec endpoint: ${op} payloads`,
    security: [{ CodecToken: [] }],
    request: { body: { content: { 'application/json': { schema: CodecBody } } } },
    responses: {
      200: { description: `${op}d payloads`, content: { 'application/json': { schema: CodecBody } } },
      401: {
        description: 'No or wrong codec token or session',
        content: { 'application/json': { schema: ErrorBody } },
      },
      415: { description: 'Not application/json', content: { 'application/json': { schema: ErrorBody } } },
    },
  });
}

const fromJson = (p: z.infer<typeof JsonPayload>): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

function authorize(token: string | undefined, production: boolean): RequestHandler {
  return (req, _res, next) => {
    if (!token) {
      if (!production && isLocalCaller(req)) return next();
      return next(new HttpError(401, 'unauthorized', 'Codec endpoint: set FERRY_CODEC_TOKEN to allow remote callers'));
    }
    const given = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    if (matchesAnyToken(given, [token]) || hasCodecSession(req, token)) return next();
    next(new HttpError(401, 'unauthorized', 'Missing or wrong bearer token (or sign in at /codec/login)'));
  };
}

export function codecRoutes(deps: ApiDeps): Router {
  const codec = new AesGcmCodec(deps.config.encryptionKeys);
  // Exact origins only: lib/config.ts refuses `*` at start, since reflecting any origin with credentials
  // would let every web site decode payloads through an operator's session cookie.
  const origins = deps.config.FERRY_CODEC_CORS_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  const router = Router();
  // The Web UI calls from its own origin with custom headers, so it preflights.
  router.use('/codec', (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && origins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') return void res.sendStatus(204);
    next();
  });
  router.use(codecSessionRoutes(deps.config.FERRY_CODEC_TOKEN));
  const production = deps.config.NODE_ENV === 'production';
  router.post('/codec/:op', authorize(deps.config.FERRY_CODEC_TOKEN, production), async (req, res) => {
    const op = req.params.op;
    if (op !== 'encode' && op !== 'decode') throw new HttpError(404, 'not_found', `No codec operation ${op}`);
    // The protocol's content type, and what keeps the cross-site session cookie harmless: a page of
    // another origin can only send it with a preflight, which CORS refuses unless the origin is listed.
    if (!req.is('application/json')) {
      throw new HttpError(415, 'unsupported_media_type', 'The codec takes Content-Type: application/json');
    }
    const { payloads } = parseOr400(CodecBody, req.body);
    const out = await codec[op](payloads.map(fromJson));
    res.json({ payloads: out.map(toJson) });
  });
  return router;
}
