// The SSRF guard for every URL a worker fetches on a user's behalf (plan sources, gallery links):
// the host must be allowed and must not resolve to our own network. Checked again on every redirect,
// because an allowed host may redirect to 169.254.169.254.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../lib/failures';

export interface FetchGuardOptions {
  /** Hosts (exact, or a parent domain: `lite.gallery` allows `up-d.lite.gallery`); undefined = any host. */
  allowedHosts?: string[];
  /** Allow loopback/private/link-local/unique-local addresses and plain http (tests, local demos). */
  allowPrivateNetwork?: boolean;
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast and reserved above
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true;
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is the IPv4 address in disguise.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return blocked.check(mapped[1], 'ipv4');
  return blocked.check(address, 'ipv6');
}

const forbidden = (message: string) =>
  ApplicationFailure.create({ type: FailureType.ForbiddenTarget, message, nonRetryable: true });

const hostAllowed = (host: string, allowed: string[]) =>
  allowed.some((a) => {
    const h = a.toLowerCase();
    return host === h || host.endsWith(`.${h}`);
  });

/**
 * Throws a non-retryable ForbiddenTarget failure unless `url` may be fetched: https (http only with
 * allowPrivateNetwork), an allowed host, and every address it resolves to outside private ranges.
 */
export async function assertFetchable(url: string | URL, options: FetchGuardOptions = {}): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw forbidden(`not a valid URL: ${String(url).slice(0, 200)}`);
  }
  const allowPrivate = options.allowPrivateNetwork === true;
  if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:')) {
    throw forbidden(`${parsed.protocol} URLs are not allowed (${parsed.host}); use https`);
  }
  if (parsed.username || parsed.password) throw forbidden(`credentials in URLs are not allowed (${parsed.host})`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (options.allowedHosts && !hostAllowed(host, options.allowedHosts)) {
    throw forbidden(`host ${host} is not in the allowed hosts`);
  }
  if (allowPrivate) return parsed;
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true, verbatim: true }).then(
        (r) => r.map((a) => a.address),
        (err: NodeJS.ErrnoException) => {
          throw ApplicationFailure.create({
            type: err.code === 'ENOTFOUND' ? FailureType.SourceNotFound : 'DnsError',
            message: `cannot resolve ${host}: ${err.code ?? err.message}`,
            nonRetryable: err.code === 'ENOTFOUND',
          });
        },
      );
  const bad = addresses.find(isBlockedAddress);
  if (bad !== undefined) throw forbidden(`host ${host} resolves to a private or reserved address (${bad})`);
  return parsed;
}
