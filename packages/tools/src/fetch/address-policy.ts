/**
 * Which network addresses the fetch tool may connect to. Private, loopback, link-local,
 * unique-local, multicast and other special ranges are refused unless allowed (SSRF).
 * The ranges live in a node:net BlockList, which also matches IPv4-mapped IPv6 addresses.
 * @module
 */
import { BlockList, isIP } from 'node:net';
import { ToolError } from '../errors.js';

/** IPv4 ranges refused by default (RFC 6890 special-purpose and private ranges). */
export const BLOCKED_IPV4_RANGES: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

/** IPv6 ranges refused by default. */
export const BLOCKED_IPV6_RANGES: readonly (readonly [string, number])[] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64: can reach any IPv4 address, private ones included
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 address
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const blocked = new BlockList();
for (const [address, prefix] of BLOCKED_IPV4_RANGES) blocked.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of BLOCKED_IPV6_RANGES) blocked.addSubnet(address, prefix, 'ipv6');

/** True when `address` (an IP literal) is in a refused range. IPv4-mapped IPv6 is checked as IPv4. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true; // not an address: refuse rather than guess
  const bare = address.replace(/^\[|\]$/g, '').split('%')[0] as string;
  return blocked.check(bare, family === 4 ? 'ipv4' : 'ipv6');
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
  return host.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
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
