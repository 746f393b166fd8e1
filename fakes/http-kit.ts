// The few HTTP chores every cloud fake shares: a loopback server on port 0 that closes promptly,
// body reading, JSON replies. Plain node:http so a fake can drop a socket mid-body like a real network.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:port (0 = any free port). A handler that throws answers 500 with the message. */
export async function listen(handler: Handler, port = 0): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    Promise.resolve(handler(req, res)).catch((err: unknown) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      sendJson(res, 500, { error: { code: 500, message: `fake crashed: ${String(err)}` } });
    });
  });
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Reads the whole request body (fakes only do this for small metadata and multipart bodies). */
export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new URLSearchParams((await readBody(req)).toString('utf8'));
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  if (!text.trim()) return {};
  return JSON.parse(text) as unknown;
}

export function queryObject(url: URL): Record<string, string> {
  return Object.fromEntries(url.searchParams.entries());
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Drops the connection the way a broken network does: no response, a reset socket. */
export function dropConnection(req: IncomingMessage): void {
  req.socket.destroy();
}

/** Strips a base path ('/google') from a request path; undefined when the path is outside it. */
export function underBase(pathname: string, base: string): string | undefined {
  if (!base || base === '/') return pathname;
  const b = base.endsWith('/') ? base.slice(0, -1) : base;
  if (pathname === b) return '/';
  return pathname.startsWith(b + '/') ? pathname.slice(b.length) : undefined;
}
