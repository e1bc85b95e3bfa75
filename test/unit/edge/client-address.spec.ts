import { type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  clientAddress,
  clientKey,
  clientKeyOf,
  trustedNetworks,
} from '../../../apps/api/edge/client-address';

/** What clientAddress reads of a request: the socket's peer and the headers. */
function aRequest(
  peer: string | undefined,
  forwardedFor?: string | string[],
): Pick<IncomingMessage, 'headers' | 'socket'> {
  return {
    socket: { remoteAddress: peer } as IncomingMessage['socket'],
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  };
}

const proxies = trustedNetworks(['10.0.0.5', '10.1.0.0/16', '2001:db8:ff::/48']);

describe(clientAddress.name, () => {
  it('is the peer, and ignores X-Forwarded-For, when no proxy is trusted', () => {
    expect(clientAddress(aRequest('192.0.2.7', '198.51.100.1'), [])).toBe('192.0.2.7');
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientAddress(aRequest('192.0.2.7', '198.51.100.1'), proxies)).toBe('192.0.2.7');
  });

  it('takes the address a trusted proxy saw', () => {
    expect(clientAddress(aRequest('10.0.0.5', '198.51.100.1'), proxies)).toBe('198.51.100.1');
  });

  it('walks past a chain of trusted proxies and stops at the first address none vouches for', () => {
    // The client wrote the first entry itself: only what the proxies appended is believed.
    const request = aRequest('10.0.0.5', ['203.0.113.66, 198.51.100.1', '10.1.2.3']);
    expect(clientAddress(request, proxies)).toBe('198.51.100.1');
  });

  it('stops at an entry that is not an address, at the proxy that passed it on', () => {
    expect(clientAddress(aRequest('10.0.0.5', 'unknown'), proxies)).toBe('10.0.0.5');
    expect(clientAddress(aRequest('10.0.0.5', '198.51.100.1, _hidden'), proxies)).toBe('10.0.0.5');
  });

  it('is the leftmost address when every hop is a trusted proxy', () => {
    expect(clientAddress(aRequest('10.0.0.5', '10.1.0.9'), proxies)).toBe('10.1.0.9');
  });

  it('reads IPv4 peers of a dual-stack socket as IPv4', () => {
    expect(clientAddress(aRequest('::ffff:192.0.2.7'), [])).toBe('192.0.2.7');
    expect(clientAddress(aRequest('::ffff:10.0.0.5', '198.51.100.1'), proxies)).toBe(
      '198.51.100.1',
    );
  });

  it('trusts IPv6 proxies by network', () => {
    expect(clientAddress(aRequest('2001:db8:ff:1::2', '2001:db8:1::9'), proxies)).toBe(
      '2001:db8:1::9',
    );
  });

  it('is undefined for a socket that has already closed', () => {
    expect(clientAddress(aRequest(undefined), proxies)).toBeUndefined();
  });
});

describe(clientKey.name, () => {
  it('keys IPv4 clients by address and IPv6 clients by their /64', () => {
    expect(clientKey('192.0.2.7')).toBe('192.0.2.7');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8:1:2:bbbb::99')).toBe(clientKey('2001:db8:1:2:aaaa::1'));
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
  });

  it('keeps a bounded prefix of what does not parse', () => {
    expect(clientKey('fe80::1%eth0')).toBe('fe80::1%eth0');
    expect(clientKey('x'.repeat(1_000))).toHaveLength(64);
  });
});

describe(clientKeyOf.name, () => {
  it('keys a request by the client address its trusted proxies report', () => {
    const key = clientKeyOf(['10.0.0.5']);
    expect(key(aRequest('10.0.0.5', '2001:db8:1:2::7'))).toBe('2001:db8:1:2::/64');
    expect(key(aRequest('127.0.0.1', '198.51.100.1'))).toBe('127.0.0.1');
  });
});
