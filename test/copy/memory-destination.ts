// An in-process Destination for the engine's own bookkeeping tests (paging, history length, progress):
// every plan item is already there, so no bytes move and the test measures the workflow, not a cloud.
import type { Destination, FolderRef, RemoteFile } from '../../activities/clouds/destination';
import type { CopyPlanItem } from '../../lib/jobs/copy-to-cloud';

export function alreadyThereDestination(delayMs = 0): Destination & { probes: number } {
  const wait = () => (delayMs ? new Promise((r) => setTimeout(r, delayMs)) : Promise.resolve());
  const dest = {
    cloud: 'yadisk' as const,
    probes: 0,
    async ensureFolder(relDir: string): Promise<FolderRef> {
      return { id: relDir, path: relDir };
    },
    async probe(folder: FolderRef, name: string, item: CopyPlanItem) {
      dest.probes += 1;
      await wait();
      const existing: RemoteFile = {
        id: `${folder.id}/${name}`,
        path: `${folder.path}/${name}`,
        name,
        size: item.size ?? 0,
        md5: item.md5,
        sourceKey: item.key,
      };
      return { existing, freeName: name };
    },
    async upload(): Promise<RemoteFile> {
      throw new Error('nothing should be uploaded');
    },
    async stat(file: RemoteFile) {
      return file;
    },
    async remove() {
      throw new Error('nothing should be removed');
    },
  };
  return dest;
}
