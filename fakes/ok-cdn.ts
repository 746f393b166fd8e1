// The OK fake's photo files, served like OK's CDN (`getImage?photoId=…&photoType=N&viewToken=…`, no
// extension in the URL: the Content-Type says what it is), with Range support and injectable faults.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OK_SIZE_FIELDS, type OkFakePhoto, type OkFakeUser } from './ok-world';

export function okCdn(users: OkFakeUser[], secret: string) {
  const requests: string[] = [];
  const faults: Array<{ photoId: string; status: number; times: number }> = [];
  const viewToken = (photoId: string, type: number) =>
    createHash('sha256').update(`${secret}:${photoId}:${type}`).digest('base64url').slice(0, 22);

  /** The bytes served for a photo's size field: distinct per photo and size. */
  const fileBytes = (p: OkFakePhoto, field: string): Buffer => {
    const seed = createHash('sha256').update(`${p.id}:${field}`).digest();
    const length = 300 + OK_SIZE_FIELDS[field]! * 37 + (Number(p.id) % 89);
    return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(length, seed)]);
  };

  const cdn = {
    /** Set once the server listens. */
    base: '',
    requests,
    fileBytes,
    fileUrl(p: OkFakePhoto, field: string): string {
      const type = OK_SIZE_FIELDS[field]!;
      return `${cdn.base}/getImage?photoId=${p.id}&photoType=${type}&viewToken=${viewToken(p.id, type)}`;
    },
    failFile(photoId: string, status: number, times = 1): void {
      faults.push({ photoId, status, times });
    },
    serve(req: IncomingMessage, res: ServerResponse, url: URL): void {
      requests.push(url.search);
      const id = url.searchParams.get('photoId') ?? '';
      const type = Number(url.searchParams.get('photoType'));
      const photo = users.flatMap((u) => u.photos).find((p) => p.id === id);
      const field = Object.keys(OK_SIZE_FIELDS).find((f) => OK_SIZE_FIELDS[f] === type);
      const signed = url.searchParams.get('viewToken') === viewToken(id, type);
      if (!photo || !field || !photo.sizes.includes(field) || !signed) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
        return;
      }
      const fault = faults.find((f) => f.photoId === id && f.times > 0);
      if (fault) {
        fault.times -= 1;
        res.writeHead(fault.status, { 'content-type': 'text/plain' }).end('fault');
        return;
      }
      const body = fileBytes(photo, field);
      const headers = { 'content-type': photo.contentType ?? 'image/jpeg', 'accept-ranges': 'bytes' };
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
        res.writeHead(206, {
          ...headers,
          'content-length': end - start + 1,
          'content-range': `bytes ${start}-${end}/${body.length}`,
        });
        res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
  return cdn;
}
