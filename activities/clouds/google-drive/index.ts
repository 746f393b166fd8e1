// Google Drive behind the Destination interface. googleapis (drive v3) for folders, listing and small
// multipart uploads, with `rootUrl` from GOOGLE_API_URL on every call (a client-level rootUrl does not
// reach media uploads); the resumable protocol by hand for large files. Every file is tagged, in its
// upload's own metadata, with appProperties {ferryKey, ferrySize, ferryMd5} as far as known then (the
// md5 only when the plan has it), and looked up by that tag first: Drive allows same-name files, so a
// name never proves a copy is ours — the tag does. A small file costs one request: the upload.
// Only the Drive module: the `googleapis` index loads every Google API (~120 MB of RSS).
import { drive as driveApi } from 'googleapis/build/src/apis/drive/index.js';
import { BoundedCache } from '../../../lib/bounded-cache';
import type { Config } from '../../../lib/config';
import type { CopyPlanItem, DestinationSpec } from '../../../lib/jobs/copy-to-cloud';
import type { Destination, FolderIndex, FolderRef, ProbeResult, RemoteFile, UploadRequest } from '../destination';
import { failure, FailureType } from '../../../lib/failures';
import { deadline, REQUEST_TIMEOUT_MS, UPLOAD_TIMEOUT_MS } from '../errors';
import { candidateNames, MAX_SUFFIX } from '../names';
import { createDriveAuth } from './auth';
import { fromGaxios } from './errors';
import { resumableUpload, type DriveFileJson } from './resumable';

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
const FILE_FIELDS = 'id,name,size,md5Checksum,appProperties,trashed';

interface FolderJson {
  id: string;
  createdTime?: string;
}

/** Of same-name folders, the one every worker picks: the oldest, then the smallest id. */
const oldest = (folders: FolderJson[]): FolderJson =>
  [...folders].sort(
    (a, b) => Date.parse(a.createdTime ?? '') - Date.parse(b.createdTime ?? '') || (a.id < b.id ? -1 : 1),
  )[0]!;

/** A literal inside a Drive `q` string: backslash and single quote escaped (api-notes). */
export const qLiteral = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export interface DriveDestinationOptions {
  fetch?: typeof fetch;
}

export function createGoogleDriveDestination(
  spec: DestinationSpec,
  config: Config,
  options: DriveDestinationOptions = {},
): Destination {
  if (spec.credentials.cloud !== 'google_drive') {
    throw failure(FailureType.InvalidInput, 'Google Drive destination needs google_drive credentials');
  }
  const auth = createDriveAuth(spec.credentials, config);
  const drive = driveApi({ version: 'v3', auth: auth.client });
  const apiUrl = config.GOOGLE_API_URL.replace(/\/+$/, '');
  // No gaxios `timeout`: it is an AbortSignal.timeout, armed until it fires; guarded() gives each
  // request a deadline it clears (errors.ts `deadline`).
  const call = { rootUrl: `${apiUrl}/` };
  const rootParts = spec.rootFolder.split('/').filter(Boolean);
  const folders = new BoundedCache<Promise<FolderRef>>();

  /**
   * A googleapis call with typed failures. A 401 gets one forced refresh and one more try: the client
   * refreshes on its own only while it does not know the token's expiry.
   */
  async function guarded<T>(
    what: string,
    fn: (options: typeof call & { signal: AbortSignal }) => Promise<T>,
    limit: { ms?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const due = deadline(limit.signal, limit.ms ?? REQUEST_TIMEOUT_MS);
      try {
        return await fn({ ...call, signal: due.signal });
      } catch (err) {
        if ((err as { status?: number }).status === 401 && attempt === 0) {
          await auth.token(true);
          continue;
        }
        throw fromGaxios(what, err);
      } finally {
        due.clear();
      }
    }
  }

  async function list<T = DriveFileJson>(q: string, fields = FILE_FIELDS): Promise<T[]> {
    const out: T[] = [];
    let pageToken: string | undefined;
    do {
      const res = await guarded('list files', (o) =>
        drive.files.list({ q, fields: `nextPageToken,files(${fields})`, pageSize: 1000, pageToken }, o),
      );
      out.push(...((res.data.files ?? []) as T[]));
      pageToken = res.data.nextPageToken ?? undefined;
    } while (pageToken);
    return out;
  }

  const toRemote = (f: DriveFileJson, folderPath: string): RemoteFile => ({
    id: f.id,
    name: f.name,
    path: folderPath ? `${folderPath}/${f.name}` : f.name,
    size: Number(f.size ?? 0),
    md5: f.md5Checksum,
    sourceKey: f.appProperties?.ferryKey,
  });

  /** The folders `name` directly under `parentId` (Drive allows several of one name). */
  const foldersNamed = (parentId: string, name: string) =>
    list<FolderJson>(
      `name = ${qLiteral(name)} and ${qLiteral(parentId)} in parents and mimeType = '${FOLDER_MIME}' and trashed = false`,
      'id,createdTime',
    );

  /**
   * Finds the folder `name` under `parentId`, or creates it. Workers that create the same folder at the
   * same moment (two pages of one album) would leave two same-name folders and split the album: after
   * creating, each looks again and every worker settles on the oldest one; a creator whose folder lost
   * trashes it (still empty: nothing is uploaded into a folder before this returns).
   */
  async function level(parentId: string, name: string): Promise<string> {
    const found = await foldersNamed(parentId, name);
    if (found.length) return oldest(found).id;
    const res = await guarded('create folder', (o) =>
      drive.files.create(
        { requestBody: { name, mimeType: FOLDER_MIME, parents: [parentId] }, fields: 'id,createdTime' },
        o,
      ),
    );
    const created = res.data as FolderJson;
    const now = await foldersNamed(parentId, name);
    const winner = oldest(now.some((f) => f.id === created.id) ? now : [...now, created]);
    if (winner.id !== created.id) await remove({ id: created.id, name, path: '', size: 0 });
    return winner.id;
  }

  function ensureFolder(relDir: string): Promise<FolderRef> {
    return folderAt([...rootParts, ...relDir.split('/').filter(Boolean)]);
  }

  /** Each level found or created in turn; concurrent uploads into one folder share one promise. */
  function folderAt(parts: string[]): Promise<FolderRef> {
    const key = parts.join('/');
    return folders.getOrCreate(key, async () => {
      if (!parts.length) return { id: 'root', path: '' };
      const parent = await folderAt(parts.slice(0, -1));
      return { id: await level(parent.id, parts.at(-1)!), path: key };
    });
  }

  /**
   * Of the files `hits` (tagged with the item's key, or holding the name), our copy, else a free name:
   * the wanted one, or the first suffixed name `held` says no file has (Drive compares names
   * case-insensitively).
   */
  async function choose(
    folder: FolderRef,
    name: string,
    item: CopyPlanItem,
    hits: DriveFileJson[],
    held: (candidate: string) => Promise<boolean> | boolean,
  ): Promise<ProbeResult> {
    const tagged = hits.filter((f) => f.appProperties?.ferryKey === item.key);
    const best = tagged.find((f) => item.size === undefined || Number(f.size) === item.size) ?? tagged[0];
    if (best) return { existing: toRemote(best, folder.path), freeName: best.name };
    if (!hits.some((f) => f.name.toLowerCase() === name.toLowerCase())) return { freeName: name };
    for (const candidate of candidateNames(name)) {
      if (candidate === name) continue;
      if (!(await held(candidate))) return { freeName: candidate };
    }
    throw failure(FailureType.InvalidInput, `no free name for ${name} in ${folder.path} after ${MAX_SUFFIX} tries`);
  }

  const inFolder = (folder: FolderRef) => `${qLiteral(folder.id)} in parents and trashed = false`;

  async function probe(folder: FolderRef, name: string, item: CopyPlanItem) {
    // One query answers both questions in the common case: is our copy there, and is the name free?
    const tag = `appProperties has { key='ferryKey' and value=${qLiteral(item.key)} }`;
    const hits = await list(`(${tag} or name = ${qLiteral(name)}) and ${inFolder(folder)}`);
    return choose(folder, name, item, hits, async (candidate) =>
      Boolean((await list(`name = ${qLiteral(candidate)} and ${inFolder(folder)}`)).length),
    );
  }

  /** The folder's children, 1,000 a page: one request answers a page of probes. */
  async function listFolder(folder: FolderRef): Promise<FolderIndex> {
    const files = await list(inFolder(folder));
    const names = new Set(files.map((f) => f.name.toLowerCase()));
    return {
      files: files.length,
      probe(name, item) {
        const hits = files.filter(
          (f) => f.appProperties?.ferryKey === item.key || f.name.toLowerCase() === name.toLowerCase(),
        );
        return choose(folder, name, item, hits, (candidate) => names.has(candidate.toLowerCase()));
      },
      claim(name) {
        if (names.has(name.toLowerCase())) return;
        names.add(name.toLowerCase());
        files.push({ id: '', name });
      },
    };
  }

  async function upload(req: UploadRequest): Promise<RemoteFile> {
    const appProperties: Record<string, string> = { ferryKey: req.tags.sourceKey };
    if (req.size !== undefined) appProperties.ferrySize = String(req.size);
    if (req.tags.md5) appProperties.ferryMd5 = req.tags.md5;
    const metadata = {
      name: req.name,
      parents: [req.folder.id],
      mimeType: req.item.mimeType ?? 'application/octet-stream',
      appProperties,
    };
    let file: DriveFileJson;
    const small = req.size !== undefined && req.size < config.DRIVE_RESUMABLE_CUTOFF;
    if (small && req.checkpoint?.kind !== 'drive') {
      file = await guarded(
        'multipart upload',
        async (o) => {
          const body = await req.open(0);
          let sourceError: unknown;
          body.once('error', (e) => (sourceError = e));
          try {
            const res = await drive.files.create(
              { requestBody: metadata, media: { mimeType: metadata.mimeType, body }, fields: FILE_FIELDS },
              o,
            );
            return res.data as DriveFileJson;
          } catch (err) {
            // A source that failed mid-stream explains the failed request better than the request's own error.
            throw sourceError ?? err;
          } finally {
            body.destroy();
          }
        },
        { ms: UPLOAD_TIMEOUT_MS, signal: req.signal },
      );
    } else {
      file = await resumableUpload(
        { apiUrl, token: auth.token, chunkSize: config.DRIVE_CHUNK_SIZE, fields: FILE_FIELDS, fetch: options.fetch },
        req,
        metadata,
      );
    }
    // No tagging afterwards: Drive's own md5Checksum and size, in the upload's answer, verify the copy,
    // and the key (the tag a later run looks for) went with the upload's metadata.
    return toRemote(file, req.folder.path);
  }

  async function stat(file: RemoteFile): Promise<RemoteFile | undefined> {
    const res = await guarded('stat file', (o) =>
      drive.files.get({ fileId: file.id, fields: FILE_FIELDS }, o).catch((err: unknown) => {
        if ((err as { status?: number }).status === 404) return undefined;
        throw err;
      }),
    );
    const f = res?.data as (DriveFileJson & { trashed?: boolean }) | undefined;
    return !f || f.trashed ? undefined : { ...toRemote(f, ''), path: file.path };
  }

  /**
   * To the Trash, never a permanent delete: the folder a worker lost a creation race with, or a copy that
   * failed verification, stays restorable for 30 days should the call have been wrong.
   */
  async function remove(file: RemoteFile): Promise<void> {
    await guarded('trash file', (o) =>
      drive.files.update({ fileId: file.id, requestBody: { trashed: true }, fields: 'id' }, o).catch((err: unknown) => {
        if ((err as { status?: number }).status !== 404) throw err;
      }),
    );
  }

  return { cloud: 'google_drive', ensureFolder, probe, listFolder, upload, stat, remove };
}
