// pino-http logs every request's URL and query. The OAuth callbacks carry a one-time code (and our
// state) in the query string: keep those values out of the logs like any other credential.
const SECRET_PARAMS = ['code', 'state', 'access_token', 'refresh_token', 'token', 'code_verifier'];

interface LoggedRequest {
  url?: string;
  query?: Record<string, unknown>;
}

/** A pino-http `req` serializer (wrapped: it receives the standard serialized request). */
export function scrubSecretParams<R extends LoggedRequest>(req: R): R {
  if (!req.url?.includes('?')) return req;
  const [path, search = ''] = req.url.split('?', 2) as [string, string?];
  const params = new URLSearchParams(search);
  if (!SECRET_PARAMS.some((p) => params.has(p))) return req;
  for (const p of SECRET_PARAMS) if (params.has(p)) params.set(p, '[redacted]');
  const query = Object.fromEntries(
    Object.entries(req.query ?? {}).map(([k, v]) => [k, SECRET_PARAMS.includes(k) ? '[redacted]' : v]),
  );
  return Object.assign(Object.create(Object.getPrototypeOf(req) as object) as R, req, {
    url: `${path}?${params.toString()}`,
    query,
  });
}
