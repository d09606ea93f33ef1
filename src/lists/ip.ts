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

/**
 * A dotted-quad IPv4 address (optionally IPv4-mapped, `::ffff:1.2.3.4`) as an unsigned 32-bit number, or -1.
 * Hand-parsed without allocating: this runs for every event an IP rule looks at, and ipaddr.js's general
 * parser was the engine's largest cost.
 */
export function ipv4ToInt(s: string): number {
  let i = 0;
  if (s.length > 7 && s.charCodeAt(0) === 58 /* : */ && /^::ffff:/i.test(s)) i = 7;
  let out = 0;
  for (let part = 0; part < 4; part++) {
    let n = 0;
    let digits = 0;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      n = n * 10 + (c - 48);
      i++;
      if (++digits > 3) return -1;
    }
    if (digits === 0 || n > 255) return -1;
    out = out * 256 + n;
    if (part < 3) {
      if (s.charCodeAt(i) !== 46 /* . */) return -1;
      i++;
    }
  }
  return i === s.length ? out : -1;
}

/** A test of an address string against ranges: IPv4 by binary search over merged intervals, IPv6 by ipaddr. */
export function cidrMatcher(ranges: readonly CidrRange[]): (text: string) => boolean {
  const v4: [number, number][] = [];
  const v6: CidrRange[] = [];
  for (const r of ranges) {
    const [addr, bits] = r;
    if (addr.kind() === 'ipv4') {
      const base = addr.toByteArray().reduce((acc, b) => acc * 256 + b, 0);
      const size = 2 ** (32 - bits);
      const start = Math.floor(base / size) * size;
      v4.push([start, start + size - 1]);
    } else v6.push(r);
  }
  v4.sort((a, b) => a[0] - b[0]);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const [s, e] of v4) {
    const last = ends.length - 1;
    if (last >= 0 && s <= (ends[last] as number) + 1) ends[last] = Math.max(ends[last] as number, e);
    else {
      starts.push(s);
      ends.push(e);
    }
  }
  const inV4 = (n: number): boolean => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (n < (starts[mid] as number)) hi = mid - 1;
      else if (n > (ends[mid] as number)) lo = mid + 1;
      else return true;
    }
    return false;
  };
  return (text) => {
    const n = ipv4ToInt(text);
    if (n >= 0) return inV4(n);
    if (text.indexOf(':') < 0) return false; // neither an IPv4 nor an IPv6 address
    const addr = parseIp(text);
    if (addr === undefined) return false;
    if (addr.kind() === 'ipv4') return inV4(addr.toByteArray().reduce((acc, b) => acc * 256 + b, 0));
    return inRanges(addr, v6);
  };
}
