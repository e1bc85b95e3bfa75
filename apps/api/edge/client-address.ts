import { type IncomingMessage } from 'node:http';
import {
  type Cidr,
  contains,
  formatCidr,
  parseAddress,
  parseCidr,
} from '../../../libs/network/addresses';

/** The longest key text kept for an address that does not parse (a zone id, say). */
const maxRawKeyLength = 64;

/** `::ffff:192.0.2.1`, as Node reports IPv4 peers of a dual-stack socket. */
const ipv4Mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** The trusted proxies' setting (addresses or CIDR networks), as networks. */
export function trustedNetworks(entries: readonly string[]): Cidr[] {
  return entries.map((entry) => {
    const network = parseCidr(entry);
    if (typeof network !== 'string') return network;
    const address = parseAddress(entry);
    if (!address) throw new Error(`not an address or network: ${entry}`);
    return {
      family: address.family,
      base: address.value,
      prefix: address.family === 'ipv4' ? 32 : 128,
    };
  });
}

/**
 * The address of the client that sent the request. The socket's peer, unless that peer is a
 * trusted proxy: then `X-Forwarded-For` is read from the right (each proxy appends the address it
 * saw), past every trusted proxy, to the first address no trusted proxy vouches for. Entries left
 * of that one are whatever the client wrote, and are ignored; so is the header when the peer is
 * not trusted. An entry that is not an address stops the walk at the proxy that passed it on.
 */
export function clientAddress(
  req: Pick<IncomingMessage, 'headers' | 'socket'>,
  trusted: readonly Cidr[],
): string | undefined {
  const peer = req.socket.remoteAddress;
  if (peer === undefined) return undefined;
  let client = unmapped(peer);
  if (trusted.length === 0) return client;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (let i = forwarded.length - 1; i >= 0 && isTrusted(client, trusted); i -= 1) {
    const hop = unmapped(forwarded[i]!);
    if (!parseAddress(hop)) break;
    client = hop;
  }
  return client;
}

/**
 * The rate-limit key of a client address: IPv4 addresses as they are, IPv6 by their /64, since
 * one host is routinely given a whole /64 and could otherwise change address per request.
 */
export function clientKey(address: string): string {
  const parsed = parseAddress(address);
  if (!parsed) return address.slice(0, maxRawKeyLength);
  if (parsed.family === 'ipv4') return address;
  const hostBits = (1n << 64n) - 1n;
  return formatCidr({ family: 'ipv6', base: parsed.value & ~hostBits, prefix: 64 });
}

/** A `key` function for rateLimit: the request's client address, trusting these proxies. */
export function clientKeyOf(
  trustedProxies: readonly string[],
): (req: Pick<IncomingMessage, 'headers' | 'socket'>) => string | undefined {
  const trusted = trustedNetworks(trustedProxies);
  return (req) => {
    const address = clientAddress(req, trusted);
    return address === undefined ? undefined : clientKey(address);
  };
}

function unmapped(address: string): string {
  return ipv4Mapped.exec(address)?.[1] ?? address;
}

function isTrusted(address: string, trusted: readonly Cidr[]): boolean {
  const parsed = parseAddress(address);
  return (
    parsed !== undefined &&
    trusted.some((network) => contains(network, parsed.family, parsed.value))
  );
}
