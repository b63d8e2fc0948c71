/**
 * Which network addresses the fetch tool may connect to. Private, loopback, link-local,
 * unique-local, multicast and other special ranges are refused unless allowed (SSRF).
 * The ranges live in a node:net BlockList, which also matches IPv4-mapped IPv6 addresses.
 * @module
 */
import { BlockList, isIP } from 'node:net';
import { ToolError } from '../errors.js';

/**
 * IPv4 ranges refused by default: every entry of the IANA IPv4 Special-Purpose Address Registry
 * (RFC 6890 and updates), plus multicast (IANA IPv4 Multicast Address Space Registry).
 */
export const BLOCKED_IPV4_RANGES: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network" (RFC 791)
  ['10.0.0.0', 8], // private (RFC 1918)
  ['100.64.0.0', 10], // shared address space, carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback (RFC 1122)
  ['169.254.0.0', 16], // link-local (RFC 3927; cloud metadata services live here)
  ['172.16.0.0', 12], // private (RFC 1918)
  ['192.0.0.0', 24], // IETF protocol assignments (RFC 6890), DS-Lite, NAT64 discovery, TURN anycast
  ['192.0.2.0', 24], // documentation TEST-NET-1 (RFC 5737)
  ['192.31.196.0', 24], // AS112-v4 (RFC 7535)
  ['192.52.193.0', 24], // AMT (RFC 7450)
  ['192.88.99.0', 24], // deprecated 6to4 relay anycast (RFC 7526)
  ['192.168.0.0', 16], // private (RFC 1918)
  ['192.175.48.0', 24], // direct delegation AS112 service (RFC 7534)
  ['198.18.0.0', 15], // benchmarking (RFC 2544)
  ['198.51.100.0', 24], // documentation TEST-NET-2 (RFC 5737)
  ['203.0.113.0', 24], // documentation TEST-NET-3 (RFC 5737)
  ['224.0.0.0', 4], // multicast (RFC 5771)
  ['240.0.0.0', 4], // reserved (RFC 1112), limited broadcast 255.255.255.255/32 (RFC 919)
];

/**
 * IPv6 ranges refused by default: every entry of the IANA IPv6 Special-Purpose Address Registry
 * (RFC 6890 and updates), plus the deprecated ranges that embed or reach IPv4 or local networks.
 */
export const BLOCKED_IPV6_RANGES: readonly (readonly [string, number])[] = [
  ['::', 128], // unspecified (RFC 4291)
  ['::1', 128], // loopback (RFC 4291)
  ['::', 96], // IPv4-compatible, deprecated (RFC 4291): ::a.b.c.d
  ['::ffff:0:0', 96], // IPv4-mapped (RFC 4291): ::ffff:a.b.c.d
  ['::ffff:0:0:0', 96], // IPv4-translated (RFC 2765)
  ['64:ff9b::', 96], // IPv4/IPv6 translation, NAT64 (RFC 6052): can reach any IPv4 address
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation (RFC 8215)
  ['100::', 64], // discard-only (RFC 6666)
  ['100:0:0:1::', 64], // dummy IPv6 prefix (RFC 9780)
  ['2001::', 23], // IETF protocol assignments (RFC 2928): Teredo 2001::/32 embeds IPv4, benchmarking, ORCHID, AMT, AS112
  ['2001:db8::', 32], // documentation (RFC 3849)
  ['2002::', 16], // 6to4 (RFC 3056): embeds an IPv4 address
  ['2620:4f:8000::', 48], // direct delegation AS112 service (RFC 7534)
  ['3fff::', 20], // documentation (RFC 9637)
  ['5f00::', 16], // segment routing SIDs (RFC 9602)
  ['fc00::', 7], // unique local (RFC 4193)
  ['fe80::', 10], // link-local unicast (RFC 4291)
  ['fec0::', 10], // site-local, deprecated (RFC 3879)
  ['ff00::', 8], // multicast (RFC 4291)
];

// Two lists: a BlockList checks an IPv4 address against IPv6 rules as if it were ::ffff:a.b.c.d,
// so with ::ffff:0:0/96 refused every IPv4 address would be too.
const blockedV4 = new BlockList();
const blockedV6 = new BlockList();
for (const [address, prefix] of BLOCKED_IPV4_RANGES) blockedV4.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of BLOCKED_IPV6_RANGES) blockedV6.addSubnet(address, prefix, 'ipv6');

/**
 * True when `address` (an IP literal) is in a refused range. IPv6 forms that embed an IPv4
 * address (mapped, compatible, translated, NAT64, 6to4, Teredo) are refused as a whole.
 */
export function isBlockedAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').split('%')[0] as string;
  const family = isIP(bare);
  if (family === 0) return true; // not an address: refuse rather than guess
  return family === 4 ? blockedV4.check(bare, 'ipv4') : blockedV6.check(bare, 'ipv6');
}

/** Options deciding which hosts the fetch tool may reach. */
export interface NetworkPolicy {
  /** Allow every address, private ones included (default false). */
  allowPrivateNetwork?: boolean;
  /** Host names or IP literals allowed even when they resolve to private addresses. */
  allowHosts?: readonly string[];
}

/** A request to an address the policy refuses. */
export class BlockedAddressError extends ToolError {
  override name = 'BlockedAddressError';
  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(
      'network_refused',
      `Refused to connect to ${host}${host === address ? '' : ` (${address})`}: it is a private, loopback, link-local or otherwise internal address. ` +
        'The fetch tool only reaches public addresses unless allowPrivateNetwork or allowHosts is configured.',
    );
  }
}

function normaliseHost(host: string): string {
  return host
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
}

/** True when the policy lets `host` reach private addresses. */
export function hostIsAllowed(policy: NetworkPolicy, host: string): boolean {
  if (policy.allowPrivateNetwork) return true;
  const h = normaliseHost(host);
  return (policy.allowHosts ?? []).some((allowed) => normaliseHost(allowed) === h);
}

/** Throws {@link BlockedAddressError} when `address`, reached through `host`, is refused. */
export function checkAddress(policy: NetworkPolicy, host: string, address: string): void {
  if (hostIsAllowed(policy, host)) return;
  if (isBlockedAddress(address)) throw new BlockedAddressError(normaliseHost(host), address);
}
