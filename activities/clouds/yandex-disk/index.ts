// Yandex Disk behind the Destination interface. Folders are created level by level (409 "exists" is
// success); an upload is GET /resources/upload?overwrite=false + a streamed PUT, tagged at once with
// custom_properties {ferry_key, ferry_md5}. A PUT answered 201 stored the file: the PATCH that tags it
// answers its metadata, md5 and size included, and that is the verification (three requests a file).
// A 202 (accepted, not yet stored: Yandex finalises asynchronously) is polled until `success` and the
// metadata re-read for the server's md5/size. A folder can be listed once (`listFolder`) to answer
// many probes. Upload from URL lets Yandex fetch a public source itself: zero bytes through the worker.
// Yandex's uploader has no ranged resume: a PUT cut mid-body is started over (once per interruption);
// a PUT that had delivered every byte before the attempt died is adopted, never sent again.
import { BoundedCache } from '../../../lib/bounded-cache';
import type { Config } from '../../../lib/config';
import type { CopyPlanItem, DestinationSpec } from '../../../lib/jobs/copy-to-cloud';
import type {
  Destination,
  FolderIndex,
  FolderRef,
  ProbeResult,
  RemoteFile,
  UploadCheckpoint,
  UploadFromUrlRequest,
  UploadRequest,
  YandexCheckpoint,
} from '../destination';
import { failure, FailureType } from '../../../lib/failures';
import { candidateNames } from '../names';
import { YandexApiError, YandexDiskClient, yandexFailure, type YandexResource } from './client';

const META_FIELDS = 'name,path,type,size,md5,custom_properties';
const LIST_FIELDS = ['name', 'path', 'type', 'size', 'md5', 'custom_properties']
  .map((f) => `_embedded.items.${f}`)
  .concat('_embedded.total')
  .join(',');
/** Entries a listing request answers (Yandex's `limit`). */
const LIST_PAGE = 1000;

/**
 * The checkpoint of an upload's operation, stored before the upload starts: an upload link's before its
 * PUT (confirmedOffset = total once the PUT was answered), an upload from URL's before Yandex is asked
 * to fetch. The next attempt adopts what that upload left, or starts over.
 */
const operationCheckpoint = (
  operation: YandexCheckpoint['operation'],
  operationId: string,
  confirmedOffset: number,
  total: number,
): YandexCheckpoint => ({ kind: 'yandex', operation, operationId, confirmedOffset, total });

/** The earlier attempt's operation of this kind, if the checkpoint names one. */
const earlierOperation = (cp: UploadCheckpoint | undefined, operation: YandexCheckpoint['operation']) =>
  cp?.kind === 'yandex' && cp.operation === operation ? cp : undefined;

export interface YandexDestinationOptions {
  fetch?: typeof fetch;
}

export function createYandexDiskDestination(
  spec: DestinationSpec,
  config: Config,
  options: YandexDestinationOptions = {},
): Destination {
  if (spec.credentials.cloud !== 'yadisk' || !spec.credentials.token) {
    throw failure(FailureType.InvalidInput, 'Yandex Disk destination needs a yadisk token');
  }
  const client = new YandexDiskClient({
    token: spec.credentials.token,
    refreshToken: spec.credentials.refreshToken,
    config,
    fetch: options.fetch,
  });
  const rootParts = spec.rootFolder.split('/').filter(Boolean);
  const folders = new BoundedCache<Promise<FolderRef>>();

  async function guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw err instanceof YandexApiError ? yandexFailure(what, err) : err;
    }
  }

  /** Meta of `diskPath`, undefined when there is nothing there. */
  async function meta(diskPath: string, signal?: AbortSignal): Promise<YandexResource | undefined> {
    try {
      return await client.request<YandexResource>(
        'GET',
        '/resources',
        { path: diskPath, fields: META_FIELDS, limit: '0' },
        undefined,
        signal,
      );
    } catch (err) {
      if (err instanceof YandexApiError && err.status === 404) return undefined;
      throw err instanceof YandexApiError ? yandexFailure('read metadata', err) : err;
    }
  }

  const relOf = (diskPath: string) => diskPath.replace(/^disk:\//, '');
  const toRemote = (r: YandexResource): RemoteFile => ({
    id: r.path,
    path: relOf(r.path),
    name: r.name,
    size: r.size ?? 0,
    md5: r.md5,
    sourceKey: typeof r.custom_properties?.ferry_key === 'string' ? r.custom_properties.ferry_key : undefined,
  });

  function ensureFolder(relDir: string): Promise<FolderRef> {
    return folderAt([...rootParts, ...relDir.split('/').filter(Boolean)]);
  }

  /** Each level in turn (Yandex does not create parents); concurrent callers share one promise. */
  function folderAt(parts: string[]): Promise<FolderRef> {
    const key = parts.join('/');
    return folders.getOrCreate(key, async () => {
      const path = `disk:/${key}`;
      if (!parts.length) return { id: 'disk:', path: '' };
      await folderAt(parts.slice(0, -1));
      try {
        await client.request('PUT', '/resources', { path });
      } catch (err) {
        if (!(err instanceof YandexApiError)) throw err;
        if (err.status === 409 && err.error === 'DiskPathPointsToExistentDirectoryError')
          return { id: path, path: key };
        if (err.status === 409 && err.error === 'DiskResourceAlreadyExistsError')
          throw failure(FailureType.InvalidInput, `a file, not a folder, is at ${path}`);
        throw yandexFailure('create folder', err);
      }
      return { id: path, path: key };
    });
  }

  const isOurs = (r: YandexResource, item: CopyPlanItem) =>
    r.type === 'file' &&
    (r.custom_properties?.ferry_key === item.key ||
      // An untagged file with the planned md5 and size is the same content: already there.
      (item.md5 !== undefined &&
        r.md5 === item.md5.toLowerCase() &&
        (item.size === undefined || r.size === item.size)));

  /** The wanted name, then its suffixed forms, each looked up by `at` (one request each, or a listing). */
  async function scan(
    folder: FolderRef,
    name: string,
    item: CopyPlanItem,
    at: (candidate: string) => Promise<YandexResource | undefined> | YandexResource | undefined,
  ): Promise<ProbeResult> {
    let free: string | undefined;
    for (const candidate of candidateNames(name)) {
      const r = await at(candidate);
      if (r && isOurs(r, item)) return { existing: toRemote(r), freeName: candidate };
      // A copy from an earlier run may sit under a suffixed name: look one past the first free name.
      if (!r && free !== undefined) break;
      if (!r) free = candidate;
    }
    if (free === undefined) throw failure(FailureType.InvalidInput, `no free name for ${name} in ${folder.path}`);
    return { freeName: free };
  }

  const probe = (folder: FolderRef, name: string, item: CopyPlanItem) =>
    scan(folder, name, item, (candidate) => meta(`${folder.id}/${candidate}`));

  /** Every entry of `folder`, LIST_PAGE a request; an absent folder is empty. */
  async function listFolder(folder: FolderRef): Promise<FolderIndex> {
    const byName = new Map<string, YandexResource>();
    for (let offset = 0; ; offset += LIST_PAGE) {
      const dir = await client
        .request<YandexResource>('GET', '/resources', {
          path: folder.id,
          fields: LIST_FIELDS,
          limit: String(LIST_PAGE),
          offset: String(offset),
        })
        .catch((err: unknown) => {
          if (err instanceof YandexApiError && err.status === 404) return undefined;
          throw err instanceof YandexApiError ? yandexFailure('list folder', err) : err;
        });
      const items = dir?._embedded?.items ?? [];
      for (const r of items) byName.set(r.name, r);
      if (items.length < LIST_PAGE) break;
    }
    return {
      files: byName.size,
      probe: (name, item) => scan(folder, name, item, (candidate) => byName.get(candidate)),
      claim(name) {
        if (!byName.has(name)) byName.set(name, { name, path: `${folder.id}/${name}`, type: 'file' });
      },
    };
  }

  /** Stores Ferry's tags in custom_properties; answers the file's metadata with them. */
  async function tag(path: string, props: Record<string, string | undefined>, signal?: AbortSignal) {
    const custom_properties = Object.fromEntries(Object.entries(props).filter(([, v]) => v));
    return guarded('tag file', () =>
      client.request<YandexResource>('PATCH', '/resources', { path }, { custom_properties }, signal),
    );
  }

  const transient = (err: unknown) => (err as { type?: string }).type === FailureType.DestinationUnavailable;

  /**
   * Tags the uploaded file, waits for its operation and reads the final metadata (md5/size appear only
   * now). Tagging comes first so that a crash while Yandex finalises still leaves a file a retry
   * recognises; if Yandex will not touch the file before it is final, the tag follows the operation.
   */
  async function complete(
    path: string,
    operation: string,
    props: Record<string, string | undefined>,
    signal?: AbortSignal,
    adopting = false,
  ): Promise<RemoteFile> {
    const tagged = await tag(path, props, signal).catch((err: unknown) => {
      if (transient(err)) return undefined;
      throw err;
    });
    // Already final (a PUT answered 201, or a finished earlier attempt): the tag's answer proves the md5.
    if (tagged?.type === 'file' && tagged.md5 !== undefined && tagged.size !== undefined) return toRemote(tagged);
    const early = tagged !== undefined;
    let status: 'success' | 'failed';
    try {
      status = await guarded('poll operation', () => client.waitOperation(operation, signal));
    } catch (err) {
      // An operation Yandex no longer knows (a retry long after the crash): the metadata decides.
      if (!adopting || !transient(err)) throw err;
      status = 'success';
    }
    if (status === 'failed') throw failure(FailureType.DestinationUnavailable, `Yandex failed to store ${path}`);
    if (!early) await tag(path, props, signal);
    const r = await meta(path, signal);
    if (!r || r.md5 === undefined) {
      throw failure(FailureType.DestinationUnavailable, `${path} is missing after its upload succeeded`);
    }
    return toRemote(r);
  }

  /** An operation's status; undefined when Yandex no longer knows it. */
  async function operationStatus(id: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
      const op = await client.request<{ status: string }>(
        'GET',
        `/operations/${encodeURIComponent(id)}`,
        {},
        undefined,
        signal,
      );
      return op.status;
    } catch (err) {
      if (err instanceof YandexApiError && err.status === 404) return undefined;
      throw err instanceof YandexApiError ? yandexFailure('poll operation', err) : err;
    }
  }

  /**
   * What an earlier attempt's PUT (checkpoint `cp`) left at `path`: adopted when it delivered every byte
   * (the file is there, tagged as ours or holding the source's md5; or its operation succeeded, or it
   * was answered and Yandex is still storing it). Undefined when it was cut mid-body: upload again.
   */
  async function adopt(
    path: string,
    cp: YandexCheckpoint,
    req: UploadRequest,
    props: Record<string, string | undefined>,
  ) {
    const operation = cp.operationId;
    const answered = cp.total > 0 && cp.confirmedOffset === cp.total;
    const wait = () => guarded('poll operation', () => client.waitOperation(operation, req.signal));
    let r = await meta(path, req.signal);
    if (!r) {
      const status = await operationStatus(operation, req.signal);
      if (status !== 'success' && !(status === 'in-progress' && answered)) return undefined;
      if (status === 'in-progress' && (await wait()) !== 'success') return undefined;
      r = await meta(path, req.signal);
      if (!r) return undefined;
    }
    const tag = r.custom_properties?.ferry_key;
    let md5 = props.ferry_md5;
    if (tag !== props.ferry_key) {
      // Untagged: the PUT finished and the tag never came, unless another file took the name since.
      if (r.type === 'file' && tag === undefined && r.md5 === undefined) {
        if ((await operationStatus(operation, req.signal)) === 'in-progress') await wait();
        r = await meta(path, req.signal);
        if (r?.type === 'file' && r.md5 === undefined)
          throw failure(FailureType.DestinationUnavailable, `${path} is still being stored by Yandex`);
      }
      const source = r?.type === 'file' && tag === undefined ? await req.sourceDigest?.() : undefined;
      if (!r || !source || r.md5 !== source.md5 || r.size !== source.size) {
        await req.dropCheckpoint?.();
        throw failure(
          FailureType.DestinationUnavailable,
          `${path} now holds another file: the next attempt picks a new name`,
        );
      }
      md5 ??= source.md5;
    }
    return complete(path, operation, { ...props, ferry_md5: md5 }, req.signal, true);
  }

  async function upload(req: UploadRequest): Promise<RemoteFile> {
    const path = `${req.folder.id}/${req.name}`;
    const cp = earlierOperation(req.checkpoint, 'upload');
    const props = { ferry_key: req.tags.sourceKey, ferry_md5: req.tags.md5 || undefined };
    if (cp) {
      const adopted = await adopt(path, cp, req, props);
      if (adopted) return adopted;
    }
    const link = await guarded('get upload link', () =>
      client.request<{ href: string; operation_id: string }>(
        'GET',
        '/resources/upload',
        { path, overwrite: 'false' },
        undefined,
        req.signal,
      ),
    );
    // Stored before the PUT starts: whatever dies during it, the next attempt knows where to look.
    await req.onCheckpoint?.(operationCheckpoint('upload', link.operation_id, 0, req.size ?? 0));
    const body = await req.open(0);
    let status: number, sent: number;
    try {
      ({ status, bytes: sent } = await client.put(link.href, body, req.size, req.signal));
    } finally {
      body.destroy();
    }
    if (status === 507)
      throw failure(FailureType.QuotaExhausted, `upload ${path}: Yandex Disk answered 507 (no space left)`);
    if (status === 413)
      throw failure(FailureType.InvalidInput, `upload ${path}: Yandex Disk answered 413 (file too large)`);
    if (status !== 201 && status !== 202)
      throw failure(FailureType.DestinationUnavailable, `upload ${path}: Yandex Disk answered ${status}`);
    await req.onCheckpoint?.(operationCheckpoint('upload', link.operation_id, sent, sent));
    return complete(path, link.operation_id, { ...props, ferry_md5: props.ferry_md5 ?? req.finalMd5?.() }, req.signal);
  }

  /**
   * What an earlier attempt's fetch operation left at `path`: adopted once the operation succeeded.
   * Undefined when it failed or Yandex forgot it with nothing there: fetch again.
   */
  async function adoptFetch(path: string, operation: string, req: UploadFromUrlRequest) {
    let status = await operationStatus(operation, req.signal);
    if (status === 'in-progress')
      status = await guarded('poll operation', () => client.waitOperation(operation, req.signal));
    const r = await meta(path, req.signal);
    if (!r) return undefined;
    if (status !== 'success' && r.custom_properties?.ferry_key !== req.item.key) {
      // Not provably the fetch's result: leave it, and let the next attempt pick a free name.
      await req.dropCheckpoint?.();
      throw failure(
        FailureType.DestinationUnavailable,
        `${path} now holds another file: the next attempt picks a new name`,
      );
    }
    return toRemote(await tag(path, { ferry_key: req.item.key, ferry_md5: r.md5 }, req.signal));
  }

  async function uploadFromUrl(req: UploadFromUrlRequest) {
    const path = `${req.folder.id}/${req.name}`;
    const earlier = earlierOperation(req.checkpoint, 'fetch');
    if (earlier) {
      const adopted = await adoptFetch(path, earlier.operationId, req);
      if (adopted) return adopted;
    }
    const op = await guarded('upload from URL', () =>
      client.request<{ href: string }>(
        'POST',
        '/resources/upload',
        { url: req.item.sourceUrl, path },
        undefined,
        req.signal,
      ),
    );
    // Yandex fetches on its own, whatever happens to this worker: the next attempt looks for the result.
    const operation = new URL(op.href, config.YANDEX_DISK_API_URL).pathname.split('/').pop() ?? '';
    await req.onCheckpoint?.(operationCheckpoint('fetch', operation, 0, 0));
    const status = await guarded('poll operation', () => client.waitOperation(op.href, req.signal));
    if (status === 'failed') {
      throw failure(
        FailureType.RemoteFetchFailed,
        `Yandex could not fetch ${req.item.sourceUrl} itself; stream it instead`,
      );
    }
    const r = await meta(path, req.signal);
    if (!r) throw failure(FailureType.DestinationUnavailable, `${path} is missing after its upload from URL succeeded`);
    return toRemote(await tag(path, { ferry_key: req.item.key, ferry_md5: r.md5 }, req.signal));
  }

  async function stat(file: RemoteFile): Promise<RemoteFile | undefined> {
    const r = await meta(file.id);
    return r?.type === 'file' ? toRemote(r) : undefined;
  }

  /** Into the Trash, never permanently: what Ferry removes (a copy that failed verification) stays restorable. */
  async function remove(file: RemoteFile): Promise<void> {
    try {
      await client.request('DELETE', '/resources', { path: file.id });
    } catch (err) {
      if (err instanceof YandexApiError && err.status === 404) return;
      throw err instanceof YandexApiError ? yandexFailure('delete file', err) : err;
    }
  }

  return { cloud: 'yadisk', ensureFolder, probe, listFolder, upload, uploadFromUrl, stat, remove };
}
