/**
 * IP address and CIDR handling shared by the `|cidr` modifier and `cidr` lists. Ranges are parsed once at
 * load; an event's address is parsed once per test. IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, which
 * proxies and dual-stack listeners write) are compared as the IPv4 address they carry.
 */
import ipaddr from 'ipaddr.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
export type CidrRange = readonly [IpAddress, number];

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a range of one). Throws with the reason when invalid. */
export function parseCidr(text: string): CidrRange {
  const s = text.trim();
  if (s.includes('/')) {
    if (!ipaddr.isValidCIDR(s)) throw new Error(`not a CIDR range: ${JSON.stringify(text)}`);
    const [addr, bits] = ipaddr.parseCIDR(s);
    return normalizeRange(addr, bits);
  }
  const addr = parseIp(s);
  if (!addr) throw new Error(`not an IP address or CIDR range: ${JSON.stringify(text)}`);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

function normalizeRange(addr: IpAddress, bits: number): CidrRange {
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [addr, bits];
}

/** The address, or undefined when the text is not one (a hostname, `unknown`, an empty proxy slot). */
export function parseIp(text: string): IpAddress | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  const addr = ipaddr.parse(text);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr;
}

export function inRanges(addr: IpAddress, ranges: readonly CidrRange[]): boolean {
  const kind = addr.kind();
  for (const [net, bits] of ranges) {
    // ipaddr's match() throws across families, so compare only like with like.
    if (net.kind() === kind && addr.match(net, bits)) return true;
  }
  return false;
}
