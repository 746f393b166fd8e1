// The SSRF guard for every URL a worker fetches on a user's or a provider's behalf (plan sources,
// gallery listings and files, VK photos, every redirect hop): https on an allowed host, and — checked
// on the address the socket actually connects to, inside the connection's own DNS lookup — no private,
// loopback, link-local, reserved or IPv4-embedding address. A check before connecting would resolve the
// name a second time, and a DNS answer that changes in between (rebinding) would slip through.
// The ranges are ipaddr.js's (RFC 6890 special-purpose registries); connections go through
// request-filtering-agent's agents, whose own lookup check runs on the same addresses as a second line.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { ApplicationFailure } from '@temporalio/common';
import ipaddr from 'ipaddr.js';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';
import { failure, FailureType } from '../../lib/failures';

export interface FetchGuardOptions {
  /** Hosts (exact, or a parent domain: `lite.gallery` allows `up-d.lite.gallery`); undefined = any host. */
  allowedHosts?: string[];
  /** Allow loopback/private/link-local/unique-local addresses and plain http (tests, local demos). */
  allowPrivateNetwork?: boolean;
  /** The resolver the connection uses (default dns.lookup); its answers are checked before connecting. */
  lookup?: LookupFunction;
}

/** The error code a refused address carries out of a socket (mapped to ForbiddenTarget by callers). */
const FORBIDDEN_ADDRESS = 'ERR_FERRY_FORBIDDEN_ADDRESS';

const forbidden = (message: string) => failure(FailureType.ForbiddenTarget, message);

/**
 * Why `address` may not be connected to, or undefined when it may. Only ordinary global unicast passes:
 * ipaddr.js names every special range (private, loopback, linkLocal, carrierGradeNat, reserved,
 * multicast, uniqueLocal, ipv4Mapped, rfc6052 = NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 = 2002::/16,
 * teredo, …). NAT64, 6to4, Teredo and IPv4-mapped addresses can carry any IPv4 address, private ones
 * included, so they are refused whole. With allowPrivateNetwork only the unspecified address is refused.
 */
function addressProblem(address: string, allowPrivateNetwork = false): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const parsed = ipaddr.parse(address);
  const range = parsed.range();
  if (range === 'unspecified') return 'the unspecified address';
  if (allowPrivateNetwork) return undefined;
  if (range !== 'unicast') return `${range} range`;
  // ::a.b.c.d (IPv4-compatible, deprecated) embeds an IPv4 address too; ipaddr.js calls it unicast.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0)) {
    return 'IPv4-compatible range';
  }
  return undefined;
}

/** `host` is one of `allowed`, or a subdomain of one. */
export const hostAllowed = (host: string, allowed: string[]) =>
  allowed.some((a) => {
    const h = a.toLowerCase();
    return host === h || host.endsWith(`.${h}`);
  });

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * The checks that need no DNS: a valid https URL (http only with allowPrivateNetwork), no credentials,
 * an allowed host, and — for an IP literal — an allowed address. Throws a non-retryable ForbiddenTarget.
 */
export function checkTarget(url: string | URL, options: FetchGuardOptions = {}): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw forbidden(`not a valid URL: ${String(url).slice(0, 200)}`);
  }
  const allowPrivate = options.allowPrivateNetwork === true;
  if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:')) {
    throw forbidden(`${parsed.protocol} URLs are not allowed (${parsed.host.slice(0, 200)}); use https`);
  }
  if (parsed.username || parsed.password) throw forbidden(`credentials in URLs are not allowed (${parsed.host})`);
  const host = hostOf(parsed);
  if (options.allowedHosts && !hostAllowed(host, options.allowedHosts)) {
    throw forbidden(`host ${host.slice(0, 200)} is not in the allowed hosts`);
  }
  const problem = isIP(host) ? addressProblem(host, allowPrivate) : undefined;
  if (problem) throw forbidden(`${host} is a private or reserved address (${problem})`);
  return parsed;
}

/** The error a refused DNS answer fails the connection with. */
function forbiddenAddress(host: string, address: string, problem: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(
    `host ${host} resolves to a private or reserved address (${address}: ${problem})`,
  );
  err.code = FORBIDDEN_ADDRESS;
  return err;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A lookup for sockets: resolves with `resolve`, then refuses the connection if any answer is not allowed. */
function checkedLookup(allowPrivateNetwork: boolean, resolve: LookupFunction = dnsLookup): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    resolve(hostname, options, (err, address, family) => {
      if (err) return callback(err, address, family);
      const answers = Array.isArray(address) ? address : [{ address, family: family ?? 0 }];
      for (const a of answers) {
        const problem = addressProblem(a.address, allowPrivateNetwork);
        if (problem) return callback(forbiddenAddress(hostname, a.address, problem), address, family);
      }
      callback(null, address, family);
    });
  };
}

// Keep-alive agents (runs of small files reuse connections), one per scheme and policy. A pooled
// socket was checked when it connected; it is only ever reused for the same host and port.
const agents = new Map<string, http.Agent>();
function agentFor(protocol: string, allowPrivateNetwork: boolean): http.Agent {
  const key = `${protocol}${allowPrivateNetwork}`;
  let agent = agents.get(key);
  if (!agent) {
    const opts = { keepAlive: true, allowPrivateIPAddress: allowPrivateNetwork };
    agent = protocol === 'https:' ? new RequestFilteringHttpsAgent(opts) : new RequestFilteringHttpAgent(opts);
    agents.set(key, agent);
  }
  return agent;
}

/** What node:http(s).request needs to connect under the guard: the filtering agent and the checked lookup. */
export function guardedConnection(url: URL, options: FetchGuardOptions): { agent: http.Agent; lookup: LookupFunction } {
  const allowPrivate = options.allowPrivateNetwork === true;
  return { agent: agentFor(url.protocol, allowPrivate), lookup: checkedLookup(allowPrivate, options.lookup) };
}

export const clientFor = (url: URL) => (url.protocol === 'https:' ? https : http);

/**
 * For a URL another service fetches (Yandex's upload from URL): the static checks, and every address
 * the name resolves to now. Ferry's own connections are checked when they connect (guarded-http.ts).
 */
export async function assertFetchable(url: string | URL, options: FetchGuardOptions = {}): Promise<URL> {
  const parsed = checkTarget(url, options);
  const host = hostOf(parsed);
  if (options.allowPrivateNetwork === true || isIP(host)) return parsed;
  await new Promise<void>((resolve, reject) => {
    checkedLookup(false, options.lookup)(host, { all: true, verbatim: true }, (err) => {
      if (!err) return resolve();
      reject(err.code === FORBIDDEN_ADDRESS ? forbidden(err.message) : dnsFailure(host, err));
    });
  });
  return parsed;
}

/** A failed name lookup: a name that does not exist is final, anything else may pass. */
export function dnsFailure(host: string, err: NodeJS.ErrnoException): ApplicationFailure {
  // SourceNotFound is final, DnsError retried.
  const type = err.code === 'ENOTFOUND' ? FailureType.SourceNotFound : FailureType.DnsError;
  return failure(type, `cannot resolve ${host}: ${err.code ?? err.message}`);
}

/** A socket error caused by the guard, as the typed failure; undefined for any other error. */
export function guardFailure(err: unknown): ApplicationFailure | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === FORBIDDEN_ADDRESS) return forbidden(e.message);
  // request-filtering-agent's own refusal (its checks agree with ours, so this is a second line only).
  if (e instanceof Error && /^DNS lookup .* is not allowed/.test(e.message)) return forbidden(e.message);
  return undefined;
}
