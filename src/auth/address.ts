/**
 * The canonical text of a client address, the unit of address lockout (docs/protocol.md §5 step 4):
 * dotted decimal for IPv4 (an IPv4-mapped IPv6 address is that IPv4 address), RFC 5952 for
 * IPv6 (lowercase, no leading zeros, the longest run of zero groups as `::`), a zone kept
 * (lowercased). So `2001:DB8:0::1` and `2001:db8::1` are one address, for sshd and for
 * `portcullis unlock --address`. Null when the text is not an IP address.
 */
export function canonicalAddress(text: string): string | null {
  const percent = text.indexOf('%');
  const zone = percent >= 0 ? text.slice(percent) : '';
  const bare = percent >= 0 ? text.slice(0, percent) : text;
  if (!bare.includes(':')) return zone === '' ? ipv4(bare)?.join('.') ?? null : null;
  const groups = ipv6Groups(bare);
  if (groups === null) return null;
  if (zone === '' && groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    // INVARIANT: ipv6Groups returns exactly eight groups.
    const [high, low] = [groups[6] as number, groups[7] as number];
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return formatIpv6(groups) + zone.toLowerCase();
}

function ipv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^[0-9]{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

function ipv6Groups(text: string): number[] | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = groupsOf(halves[0] ?? '', halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '', true) : [];
  if (head === null || tail === null) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return null;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

/** The 16-bit groups of colon-separated words; an IPv4 address may end the whole address. */
function groupsOf(part: string, mayEndWithIpv4: boolean): number[] | null {
  if (part === '') return [];
  const words = part.split(':');
  const groups: number[] = [];
  for (const [index, word] of words.entries()) {
    if (mayEndWithIpv4 && index === words.length - 1 && word.includes('.')) {
      const v4 = ipv4(word);
      if (v4 === null) return null;
      // INVARIANT: ipv4 returns four octets.
      const [a, b, c, d] = v4 as [number, number, number, number];
      groups.push((a << 8) | b, (c << 8) | d);
    } else if (/^[0-9A-Fa-f]{1,4}$/.test(word)) {
      groups.push(parseInt(word, 16));
    } else {
      return null;
    }
  }
  return groups;
}

function formatIpv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) [bestStart, bestLength] = [start, end - start];
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
