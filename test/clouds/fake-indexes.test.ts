// The cloud fakes list one folder by its index instead of scanning every file (so a 50,000-file
// benchmark measures Ferry, not the fake), and count every request by kind (bench:many's requests per
// file). The index must answer exactly what a full scan answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requiredParent } from '../../fakes/drive-query';
import { FOLDER_MIME, startDriveFake, type DriveFake } from '../../fakes/google-drive';
import { ParentIndexedMap } from '../../fakes/parent-index';
import { startYandexDiskFake, type YandexDiskFake } from '../../fakes/yandex-disk';

describe('requiredParent', () => {
  it("finds a top-level 'ID' in parents conjunct, and nothing under or / not", () => {
    expect(requiredParent("'A' in parents and trashed = false")).toBe('A');
    expect(requiredParent("(appProperties has { key='k' and value='v' } or name = 'x') and 'B' in parents")).toBe('B');
    expect(requiredParent("name = 'a or b' and 'C' in parents")).toBe('C');
    expect(requiredParent("'A' in parents or 'B' in parents")).toBeUndefined();
    expect(requiredParent("not 'A' in parents and trashed = false")).toBeUndefined();
    expect(requiredParent("('A' in parents or name = 'x') and trashed = false")).toBeUndefined();
    expect(requiredParent("name = 'x'")).toBeUndefined();
  });
});

describe('ParentIndexedMap', () => {
  it('keeps children in insertion order through re-parenting and deletion', () => {
    const m = new ParentIndexedMap<{ parents: string[] }>((v) => v.parents);
    m.set('a', { parents: ['p'] });
    m.set('b', { parents: ['q'] });
    m.set('c', { parents: ['p'] });
    const b = m.get('b')!;
    b.parents = ['p'];
    m.set('b', b);
    expect([...m.keys()]).toEqual(['a', 'b', 'c']);
    expect(m.childrenOf('p')).toEqual([m.get('a'), m.get('b'), m.get('c')]);
    expect(m.childrenOf('q')).toEqual([]);
    m.delete('a');
    expect(m.childrenOf('p')).toEqual([m.get('b'), m.get('c')]);
  });
});

let drive: DriveFake;
let disk: YandexDiskFake;
beforeAll(async () => {
  drive = await startDriveFake();
  disk = await startYandexDiskFake({ operationDelayMs: 0 });
});
afterAll(async () => {
  await drive.close();
  await disk.close();
});

const auth = { authorization: 'Bearer t' };
async function driveList(q: string): Promise<string[]> {
  const url = `${drive.url}/drive/v3/files?${new URLSearchParams({ q, fields: 'files(name)', pageSize: '1000' })}`;
  const body = (await (await fetch(url, { headers: auth })).json()) as { files: Array<{ name: string }> };
  return body.files.map((f) => f.name);
}

describe('Drive fake listings and request counts', () => {
  it('lists a folder from its index as a scan would, moved files included', async () => {
    const a = drive.addFile({ name: 'A', mimeType: FOLDER_MIME });
    const b = drive.addFile({ name: 'B', mimeType: FOLDER_MIME });
    for (const n of ['1', '2', '3']) drive.addFile({ name: n, parentId: a.id, content: Buffer.from(n) });
    const moved = drive.findByName('2', a.id)[0]!;
    const patch = await fetch(`${drive.url}/drive/v3/files/${moved.id}?addParents=${b.id}&removeParents=${a.id}`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(patch.status).toBe(200);
    expect(await driveList(`'${a.id}' in parents and trashed = false`)).toEqual(['1', '3']);
    expect(await driveList(`'${b.id}' in parents`)).toEqual(['2']);
    expect((await driveList(`'${a.id}' in parents or '${b.id}' in parents`)).sort()).toEqual(['1', '2', '3']);
    await fetch(`${drive.url}/drive/v3/files/${a.id}`, { method: 'DELETE', headers: auth });
    expect(await driveList(`'${a.id}' in parents`)).toEqual([]);
  });

  it('counts every request by kind, refused ones too', async () => {
    const before = drive.requestCounts();
    await driveList("'root' in parents");
    await fetch(`${drive.url}/drive/v3/files?q=${encodeURIComponent("name = 'x' and")}`, { headers: auth });
    await fetch(`${drive.url}/upload/drive/v3/files?uploadType=multipart`, { method: 'POST' }); // 401
    const after = drive.requestCounts();
    expect(after.total - before.total).toBe(3);
    expect((after.byKind['files.list'] ?? 0) - (before.byKind['files.list'] ?? 0)).toBe(2);
    expect((after.byKind['upload (multipart)'] ?? 0) - (before.byKind['upload (multipart)'] ?? 0)).toBe(1);
  });
});

describe('Yandex Disk fake listings and request counts', () => {
  const headers = { authorization: 'OAuth t' };
  const api = (path: string, query: Record<string, string>, method = 'GET') =>
    fetch(`${disk.url}${path}?${new URLSearchParams(query)}`, { method, headers });

  it('lists a folder from its index, after uploads, an overwrite and a delete, and settles operations', async () => {
    await api('/resources', { path: 'disk:/Album' }, 'PUT');
    for (const name of ['b.jpg', 'a.jpg', 'c.jpg']) {
      const link = (await (await api('/resources/upload', { path: `disk:/Album/${name}` })).json()) as {
        href: string;
        operation_id: string;
      };
      expect((await fetch(link.href, { method: 'PUT', body: name })).status).toBe(201);
      const op = (await (await api(`/operations/${link.operation_id}`, {})).json()) as { status: string };
      expect(op.status).toBe('success');
    }
    await api('/resources', { path: 'disk:/Album/b.jpg' }, 'DELETE');
    const listing = (await (await api('/resources', { path: 'disk:/Album', limit: '10' })).json()) as {
      _embedded: { items: Array<{ name: string; md5?: string }>; total: number };
    };
    expect(listing._embedded.items.map((i) => i.name)).toEqual(['a.jpg', 'c.jpg']);
    expect(listing._embedded.total).toBe(2);
    expect(listing._embedded.items.every((i) => i.md5)).toBe(true);
  });

  it('counts every request by kind', () => {
    const counts = disk.requestCounts();
    expect(counts.byKind).toMatchObject({
      'resources mkdir': 1,
      'upload link': 3,
      'upload PUT': 3,
      'operation status': 3,
      'resources delete': 1,
      'resources meta': 1,
    });
    expect(counts.total).toBe(12);
  });
});
