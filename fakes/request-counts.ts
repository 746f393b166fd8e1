// How many API requests a cloud fake answered, by kind — every request counts (listings, uploads,
// metadata reads, upload links, operation polls, errors too): against a real cloud the provider's
// request quota is the throughput, so the benchmarks report requests per file from these counts.
import type { LoggedRequest } from './faults';

export interface RequestCounts {
  total: number;
  byKind: Record<string, number>;
}

export function countRequests(log: readonly LoggedRequest[], kindOf: (r: LoggedRequest) => string): RequestCounts {
  const byKind: Record<string, number> = {};
  for (const r of log) {
    const kind = kindOf(r);
    byKind[kind] = (byKind[kind] ?? 0) + 1;
  }
  return { total: log.length, byKind };
}

/** Drive v3 requests named as Google's API reference names them (files.list, files.update, …). */
export function driveRequestKind(r: LoggedRequest): string {
  if (r.path === '/upload/drive/v3/files') {
    if (r.query.upload_id) return 'upload (resumable chunk)';
    return `upload (${r.query.uploadType ?? 'unknown'})`;
  }
  if (r.path === '/drive/v3/files') return r.method === 'GET' ? 'files.list' : 'files.create';
  if (/^\/drive\/v3\/files\/[^/]+$/.test(r.path)) {
    if (r.method === 'GET') return r.query.alt === 'media' ? 'files.get (media)' : 'files.get';
    if (r.method === 'PATCH') return 'files.update';
    if (r.method === 'DELETE') return 'files.delete';
  }
  return `${r.method} ${r.path}`;
}

/** Yandex Disk REST requests by resource (the upload PUT goes to the uploader's href). */
export function yandexRequestKind(r: LoggedRequest): string {
  if (r.path.startsWith('/upload-target/')) return 'upload PUT';
  if (r.path === '/v1/disk/resources/upload') return r.method === 'GET' ? 'upload link' : 'upload from URL';
  if (r.path === '/v1/disk/resources') {
    const names: Record<string, string> = { GET: 'meta', PUT: 'mkdir', PATCH: 'patch', DELETE: 'delete' };
    return `resources ${names[r.method] ?? r.method}`;
  }
  if (r.path.startsWith('/v1/disk/operations/')) return 'operation status';
  if (r.path === '/v1/disk') return 'disk info';
  return `${r.method} ${r.path}`;
}
