// Fault injection and request logging shared by the fakes (Google OAuth, Drive and Sheets, Yandex OAuth and
// Disk, IT Resume). A test says which requests should misbehave and how; `play` runs them before a fake routes
// the request, and each fake renders an injected status in its own provider's dialect (Google's error JSON,
// Yandex's {message, description, error}).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { queryObject, sleep } from './http-kit';

export type Fault =
  /** Answer with this HTTP status and the provider's error JSON; `reason` picks the provider's error code. */
  | { kind: 'status'; status: number; reason?: string; message?: string; retryAfter?: number }
  /** Destroy the socket after reading `afterBytes` bytes of the request body (0: before answering anything). */
  | { kind: 'drop'; afterBytes?: number }
  /** Wait `ms` before handling the request (slow link, slow backend). */
  | { kind: 'delay'; ms: number }
  /** Store the upload with one byte flipped at `offset` of this request's body (default 0). */
  | { kind: 'corrupt'; offset?: number }
  /** The upload session (Drive) / upload link (Yandex) this request uses has expired: 404. */
  | { kind: 'expireSession' }
  /** Read this request's body no faster than `bytesPerSec` (a slow uplink: a kill lands mid-body). */
  | { kind: 'slowBody'; bytesPerSec: number }
  /** Store the upload in full, then hold the answer `ms` (the client dies before it learns of the success). */
  | { kind: 'holdAnswer'; ms: number };

export type StatusFault = Extract<Fault, { kind: 'status' }>;

/** How a fake answers an injected status, in its provider's dialect; `headers` carry the rule's Retry-After. */
export type StatusAnswer = (fault: StatusFault, headers: Record<string, string>) => void;

export interface FaultRule {
  /** Only requests with this method count (case-insensitive). */
  method?: string;
  /** Only requests whose path (without query) contains this string or matches this RegExp. */
  path?: string | RegExp;
  /** Any other condition (query parameters, headers). */
  when?: (req: IncomingMessage, url: URL) => boolean;
  /** Fire on the Nth matching request (1-based; default 1)… */
  nth?: number;
  /** …and on this many matching requests from there (default 1; Infinity = every one). */
  times?: number;
  /** Instead of nth/times: fire on each matching request with this probability (seeded, repeatable). */
  probability?: number;
  fault: Fault;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status?: number;
  /** Request-body bytes the fake read. */
  bytesIn: number;
  /** The fault that fired on this request, if any. */
  fault?: Fault['kind'];
  at: number;
}

interface ActiveRule extends FaultRule {
  id: number;
  seen: number;
  fired: number;
}

/** A seeded PRNG (mulberry32) so that probabilistic faults repeat from run to run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  private random: () => number;
  /** Every request the fake received, in order. */
  readonly log: LoggedRequest[] = [];

  constructor(seed = 42) {
    this.random = rng(seed);
  }

  /** Adds a rule; returns its id for `remove`. */
  add(rule: FaultRule): number {
    const id = this.nextId++;
    this.rules.push({ ...rule, id, seen: 0, fired: 0 });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  /** How many times the rule fired so far. */
  firedCount(id: number): number {
    return this.rules.find((r) => r.id === id)?.fired ?? 0;
  }

  /** The faults that fire for this request (a delay can combine with another fault). */
  pick(req: IncomingMessage, url: URL): Fault[] {
    const out: Fault[] = [];
    for (const rule of this.rules) {
      if (!matches(rule, req, url)) continue;
      rule.seen++;
      let fire: boolean;
      if (rule.probability !== undefined) fire = this.random() < rule.probability;
      else {
        const nth = rule.nth ?? 1;
        const times = rule.times ?? 1;
        fire = rule.seen >= nth && rule.seen < nth + times;
      }
      if (fire) {
        rule.fired++;
        out.push(rule.fault);
      }
    }
    return out;
  }

  record(entry: LoggedRequest): LoggedRequest {
    this.log.push(entry);
    return entry;
  }

  /**
   * Logs a request as it arrives. Given the response, the entry's status is the one the answer was sent
   * with; otherwise the fake fills it in. The fake counts the body bytes it reads.
   */
  enter(req: IncomingMessage, url: URL, res?: ServerResponse): LoggedRequest {
    const entry = this.record({
      method: req.method ?? '',
      path: url.pathname,
      query: queryObject(url),
      bytesIn: 0,
      at: Date.now(),
    });
    res?.on('finish', () => (entry.status = res.statusCode));
    return entry;
  }

  /**
   * Plays the faults that fire for a request before the fake routes it: waits out a delay, drops the
   * socket, or answers an injected status through `answer`. `answered` is true once the request is
   * dealt with. With `bodyFaults` (the clouds' uploads), a drop after N body bytes and the faults that
   * act on the body are left to the upload route, as `bodyFault`; without, any drop drops at once.
   * `latencyMs`: every request waits that long first (a slow backend).
   */
  /** A cloud fake's handler starts here: the request logged (its status too), then its faults played. */
  async admit(
    req: IncomingMessage,
    res: ServerResponse,
    answer: StatusAnswer,
    options: { bodyFaults?: boolean; latencyMs?: number } = {},
  ): Promise<{ url: URL; entry: LoggedRequest; answered: boolean; bodyFault?: Fault }> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const entry = this.enter(req, url, res);
    return { url, entry, ...(await this.play(req, url, entry, answer, options)) };
  }

  async play(
    req: IncomingMessage,
    url: URL,
    entry: LoggedRequest,
    answer: StatusAnswer,
    options: { bodyFaults?: boolean; latencyMs?: number } = {},
  ): Promise<{ answered: boolean; bodyFault?: Fault }> {
    if (options.latencyMs) await sleep(options.latencyMs);
    let bodyFault: Fault | undefined;
    for (const f of this.pick(req, url)) {
      entry.fault = f.kind;
      if (f.kind === 'delay') await sleep(f.ms);
      else if (f.kind === 'drop' && !(options.bodyFaults && f.afterBytes)) {
        req.socket.destroy();
        return { answered: true };
      } else if (f.kind === 'status') {
        entry.status = f.status;
        answer(f, f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {});
        return { answered: true };
      } else if (options.bodyFaults) bodyFault = f;
    }
    return { answered: false, bodyFault };
  }
}

function matches(rule: FaultRule, req: IncomingMessage, url: URL): boolean {
  if (rule.method && rule.method.toUpperCase() !== req.method) return false;
  if (typeof rule.path === 'string' && !url.pathname.includes(rule.path)) return false;
  if (rule.path instanceof RegExp && !rule.path.test(url.pathname)) return false;
  if (rule.when && !rule.when(req, url)) return false;
  return true;
}
