import { isIPv4, isIPv6 } from 'node:net'

/**
 * Who a connection counts as, for per-address limits (connections, login
 * failures, registrations): the peer's IPv4 address, or the /64 network of
 * its IPv6 address (one host often holds a whole /64, so counting single
 * IPv6 addresses would limit nothing). An IPv4 address mapped into IPv6
 * (`::ffff:192.0.2.1`) is the IPv4 address. A transport whose
 * `remoteAddress` is not `ip:port` (an in-memory label) counts by its label
 * without the port.
 */
export function addressKey (remoteAddress: string): string {
  let host = remoteAddress.replace(/:\d+$/, '')
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (isIPv4(host)) return host
  if (!isIPv6(host)) return host
  const groups = ipv6Groups(host.replace(/%.*$/, ''))
  if (groups === undefined) return host
  // ::ffff:a.b.c.d
  if (groups.slice(0, 5).every(g => g === 0) && groups[5] === 0xffff) {
    return `${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`
  }
  return `${groups.slice(0, 4).map(g => g.toString(16)).join(':')}::/64`
}

/** The 8 groups of an IPv6 address (one `node:net` says is valid), a trailing dotted IPv4 part included. */
function ipv6Groups (address: string): number[] | undefined {
  let text = address
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number)
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head, tail] = text.split('::') as [string, string | undefined]
  const parse = (part: string): number[] => part === '' ? [] : part.split(':').map(g => parseInt(g, 16))
  const front = parse(head)
  const back = tail === undefined ? [] : parse(tail)
  const zeros = 8 - front.length - back.length
  if (zeros < 0 || (tail === undefined && zeros !== 0)) return undefined
  return [...front, ...new Array<number>(zeros).fill(0), ...back]
}
