// The CLI's progress bar (photos and bytes, ETA) fed by describeBackup, and the Ctrl-C question.
import { createInterface } from 'node:readline/promises';
import cliProgress from 'cli-progress';
import type { BackupStatus } from '../client/backup-status';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

interface ProgressBar {
  update(status: BackupStatus): void;
  stop(): void;
}

export function progressBar(stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  const bar = new cliProgress.SingleBar(
    {
      format: '{phase} |{bar}| {percentage}% | {value}/{total} photos | {bytes} | ETA {timeLeft}',
      barCompleteChar: '█',
      barIncompleteChar: '░',
      hideCursor: stream.isTTY ?? false,
      stream,
      // Piped output (CI, a log file) still gets the bar, one line a second instead of redrawing.
      noTTYOutput: true,
      notTTYSchedule: 1000,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let copyStart: { at: number; done: number } | undefined;
  // ETA from the copy phase's own rate (bytes when known, else photos): listing time would skew it.
  const eta = (status: BackupStatus): string => {
    const { photos, bytes } = status.progress;
    const [done, total] = bytes.total ? [bytes.done, bytes.total] : [photos.done, photos.total];
    if (status.phase !== 'copying' || !total) return status.phase === 'done' ? '0s' : '--';
    copyStart ??= { at: Date.now(), done };
    const rate = (done - copyStart.done) / ((Date.now() - copyStart.at) / 1000);
    if (!(rate > 0)) return '--';
    const s = Math.ceil((total - done) / rate);
    return s >= 3600
      ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`
      : s >= 60
        ? `${Math.floor(s / 60)}m${s % 60}s`
        : `${s}s`;
  };
  return {
    update(status) {
      const { photos, bytes } = status.progress;
      const payload = {
        phase: (status.phase ?? status.state).padEnd(9),
        bytes: bytes.total ? `${formatBytes(bytes.done)}/${formatBytes(bytes.total)}` : formatBytes(bytes.done),
        timeLeft: eta(status),
      };
      // Until the copy starts the number of photos is not known (listing, or a failure): no bar to draw.
      if (!started && !(status.phase === 'copying' || status.phase === 'reporting' || status.phase === 'done')) return;
      if (!started) {
        bar.start(Math.max(photos.total, 1), photos.done, payload);
        started = true;
      }
      if (photos.total) bar.setTotal(photos.total);
      bar.update(photos.done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** Ctrl-C: an interactive user chooses; anyone else gets "leave it running" (cancelling is not undoable). */
export async function askCancelOrLeave(): Promise<'cancel' | 'leave'> {
  if (!process.stdin.isTTY) return 'leave';
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question('\nCancel the backup (c) or leave it running in Temporal (l)? [l] ');
    return answer.trim().toLowerCase().startsWith('c') ? 'cancel' : 'leave';
  } finally {
    rl.close();
  }
}
