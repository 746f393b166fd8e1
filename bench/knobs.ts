// The benchmarks' environment knobs (BENCH_*), read one way everywhere: sizes with binary suffixes
// (64MiB, 1GiB), lists of counts (500,2000,8000), and a refusal naming the knob when a value is wrong.
const UNITS: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Bytes from `1073741824`, `1GiB`, `64MiB`, `200k`. */
export function bytesKnob(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
  const unit = m && UNITS[m[2]!.toLowerCase()];
  if (!m || !unit) throw new Error(`${name}: "${raw}" is not a size (e.g. 1073741824, 64MiB, 1GiB)`);
  return Math.round(Number(m[1]) * unit);
}

export function intKnob(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: "${raw}" is not a whole number`);
  return n;
}

/** `500,2000,8000` -> [500, 2000, 8000] (underscores allowed: 1_000_000). */
export function intListKnob(name: string, fallback: number[]): number[] {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const list = raw.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  if (!list.length || list.some((n) => !Number.isSafeInteger(n) || n <= 0))
    throw new Error(`${name}: "${raw}" is not a comma-separated list of positive whole numbers`);
  return list;
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
export const round2 = (n: number) => Math.round(n * 100) / 100;
export const mbps = (bytes: number, ms: number) => round1(bytes / 1024 / 1024 / (ms / 1000));
