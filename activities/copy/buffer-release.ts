// Keeps a copy's memory flat. Node frees a socket read's 64 KiB buffer only when V8 collects the small JS
// object that owns it, and a copy allocates little else: the young generation fills only every few hundred
// MB streamed, so dead buffers pile up until V8's 64 MB external-memory trigger, per process (a plain
// GET → PUT pipe in Node grows by ~95 MB). A minor GC every few MiB streamed frees them while they are
// young (the same pipe grows by ~22 MB, and runs no slower: each collection takes well under a millisecond).
// Needs Node's `--expose-gc` (the image and the benchmarks pass it); without it this does nothing.

type MinorGc = () => void;

const exposed = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;
const defaultGc: MinorGc | undefined = exposed && (() => exposed({ type: 'minor' }));

export const RELEASE_EVERY_BYTES = 4 * 1024 * 1024;

/** Counts bytes streamed by every copy in this process; collects young garbage every RELEASE_EVERY_BYTES. */
export class BufferRelease {
  private since = 0;
  collections = 0;

  constructor(
    private readonly gc: MinorGc | undefined = defaultGc,
    private readonly every = RELEASE_EVERY_BYTES,
  ) {}

  streamed(bytes: number): void {
    if (!this.gc) return;
    this.since += bytes;
    if (this.since < this.every) return;
    this.since = 0;
    this.collections++;
    this.gc();
  }
}

/** One per process: the garbage is the process's, whichever copy made it. */
export const bufferRelease = new BufferRelease();
