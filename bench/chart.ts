// The benchmarks' charts: a plain SVG line chart drawn by hand (no plotting dependency), and the
// writer that puts each benchmark's charts and a sidecar JSON (its figures and the machine they were
// measured on) into docs/performance/ — BENCH_CHART_DIR elsewhere, e.g. for a quick check at small
// sizes that must not replace the published figures. Each run overwrites the last: no history.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';

interface Series {
  name: string;
  points: Array<[x: number, y: number]>;
  dashed?: boolean;
  /** Palette index; series of one subject (Ferry and its baseline on one cloud) share a colour. */
  color?: number;
}

interface ChartSpec {
  /** File name part: docs/performance/<bench>-<id>.svg */
  id: string;
  title: string;
  x: { label: string; log?: boolean; format?: (x: number) => string };
  y: { label: string };
  series: Series[];
}

interface Machine {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  /** 1-minute load average when the benchmark started: a loaded machine shows here. */
  loadAverageAtStart: number;
  node: string;
  kernel: string;
}

const startLoad = loadavg()[0] ?? 0;

export function machine(): Machine {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    loadAverageAtStart: Math.round(startLoad * 100) / 100,
    node: process.version,
    kernel: release(),
  };
}

const describeMachine = (m: Machine) =>
  `${m.cores} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, load ${m.loadAverageAtStart} at start`;

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const W = 720;
const H = 420;
const PAD = { left: 70, right: 20, top: 48, bottom: 92 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Round tick steps (1, 2, 5 × 10^k) from 0 to just above `max`. */
function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let t = 0; t < max + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks.at(-1)! < max) ticks.push(ticks.at(-1)! + step);
  return ticks;
}

const compact = (n: number) =>
  Math.abs(n) >= 1e6
    ? `${Number((n / 1e6).toPrecision(3))}M`
    : Math.abs(n) >= 1e4
      ? `${Number((n / 1e3).toPrecision(3))}k`
      : `${Number(n.toPrecision(4))}`;

function lineChart(spec: ChartSpec, footer: string): string {
  const points = spec.series.flatMap((s) => s.points);
  const xs = [...new Set(points.map(([x]) => x))].sort((a, b) => a - b);
  const tx = (x: number) => (spec.x.log ? Math.log10(Math.max(x, 1e-9)) : x);
  // A few sizes: a tick at each. A time series: round ticks from 0, and no dot per sample.
  const continuous = !spec.x.log && xs.length > 8;
  const xTicks = continuous ? niceTicks(xs.at(-1)!) : xs;
  const [x0, x1] = continuous ? [0, xTicks.at(-1)!] : [tx(xs[0] ?? 0), tx(xs.at(-1) ?? 1)];
  const ticks = niceTicks(Math.max(0, ...points.map(([, y]) => y)));
  const yMax = ticks.at(-1)!;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  // Points sit 6% inside the frame so that the first and last x labels stay on the canvas.
  const inset = continuous ? 0 : plotW * 0.06;
  const px = (x: number) =>
    PAD.left + (x1 === x0 ? plotW / 2 : inset + ((tx(x) - x0) / (x1 - x0)) * (plotW - 2 * inset));
  const py = (y: number) => PAD.top + plotH - (y / yMax) * plotH;
  const fx = spec.x.format ?? compact;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(spec.title)}</text>`,
  ];
  for (const t of ticks) {
    out.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(t)}" y2="${py(t)}" stroke="#e5e5e5"/>`,
      `<text x="${PAD.left - 6}" y="${py(t) + 4}" text-anchor="end">${compact(t)}</text>`,
    );
  }
  for (const x of xTicks) {
    out.push(
      `<line x1="${px(x)}" x2="${px(x)}" y1="${PAD.top}" y2="${PAD.top + plotH}" stroke="#f0f0f0"/>`,
      `<text x="${px(x)}" y="${PAD.top + plotH + 16}" text-anchor="middle">${esc(fx(x))}</text>`,
    );
  }
  out.push(
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${PAD.left + plotW / 2}" y="${PAD.top + plotH + 34}" text-anchor="middle">${esc(spec.x.label)}</text>`,
    `<text transform="translate(16 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(spec.y.label)}</text>`,
  );
  spec.series.forEach((s, i) => {
    const color = COLORS[(s.color ?? i) % COLORS.length]!;
    const sorted = [...s.points].sort((a, b) => a[0] - b[0]);
    const path = sorted.map(([x, y], j) => `${j ? 'L' : 'M'}${px(x).toFixed(1)} ${py(y).toFixed(1)}`).join(' ');
    out.push(
      `<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      ...(continuous ? [] : sorted).map(
        ([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`,
      ),
    );
    const lx = PAD.left + (i % 3) * (plotW / 3);
    const ly = H - 36 + Math.floor(i / 3) * 14;
    out.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${lx + 24}" y="${ly}">${esc(s.name)}</text>`,
    );
  });
  out.push(
    `<text x="${W / 2}" y="${H - 6}" text-anchor="middle" font-size="10" fill="#555">${esc(footer)}</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}

/** Writes <bench>-<id>.svg per chart and <bench>.json (figures + machine), and says where. */
export function writeCharts(bench: string, charts: ChartSpec[], figures: object): void {
  const dir = resolve(process.env.BENCH_CHART_DIR ?? 'docs/performance');
  mkdirSync(dir, { recursive: true });
  const m = machine();
  const footer = `${bench}, ${new Date().toISOString().slice(0, 10)}: ${describeMachine(m)}`;
  const paths = charts.map((c) => {
    const path = join(dir, `${bench}-${c.id}.svg`);
    writeFileSync(path, lineChart(c, footer));
    return path;
  });
  const sidecar = join(dir, `${bench}.json`);
  writeFileSync(
    sidecar,
    JSON.stringify({ bench, measuredAt: new Date().toISOString(), machine: m, figures }, null, 2) + '\n',
  );
  console.log(`[${bench.replace('-', ':')}] charts: ${[...paths, sidecar].join(', ')}`);
}
