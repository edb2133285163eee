import { isIPv4, isIPv6 } from 'node:net';

/**
 * The bucket a client address spends its failed-authentication budget from. An IPv4 address is
 * its own bucket (an IPv4-mapped IPv6 address, `::ffff:a.b.c.d`, counts as that IPv4 address).
 * An IPv6 address counts by its first `prefixLength` bits: a client is handed a whole /64 (or
 * more), so counting exact addresses would let it rotate through them and never run out.
 * The bucket is canonical, whatever form the address came in: the prefix as lowercase hex
 * digits (the last one masked) and `/N`, e.g. `20010db800000001/64`. Anything else (no address
 * at all) is its own bucket.
 */
export function addressBucket(address: string, prefixLength: number): string {
  // A zone id (fe80::1%eth0) names the local interface, not the client.
  const bare = address.split('%')[0];
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return address;
  const groups = ipv6Groups(bare);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  const hex = groups.map((group) => group.toString(16).padStart(4, '0')).join('');
  const digits = Math.ceil(prefixLength / 4);
  const spare = digits * 4 - prefixLength;
  const last = parseInt(hex[digits - 1], 16) & ((0xf << spare) & 0xf);
  return `${hex.slice(0, digits - 1)}${last.toString(16)}/${prefixLength}`;
}

/** The eight 16-bit groups of a valid IPv6 address (no zone id), `::` and a dotted tail expanded. */
function ipv6Groups(address: string): number[] {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const parse = (part: string | undefined): number[] =>
    !part
      ? []
      : part.split(':').flatMap((piece) => {
          if (!piece.includes('.')) return [parseInt(piece, 16)];
          const [a, b, c, d] = piece.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const left = parse(head);
  const right = parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}
