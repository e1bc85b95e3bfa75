import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DnsError } from '../../../activities/network/dns/errors';
import { type DnsRecordSet, type ZoneChange } from '../../../activities/network/dns/port';
import { PowerDnsAdapter, type PowerDnsOptions } from '../../../activities/network/dns/powerdns';
import { parseAddress, parseCidr, ptrName, reverseZone } from '../../../libs/network/addresses';
import { type DnsAnswer, queryDns } from '../../helpers/dns-query';
import { freePort } from '../../helpers/free-port';
import { type PowerDnsServer, powerDnsUnavailable, startPowerDns } from '../../helpers/powerdns';
import { uniqueName } from '../../helpers/test-names';

/**
 * The powerdns Dns adapter against a real PowerDNS (pdns_server with the SQLite backend, started
 * on loopback ports for this file). What the adapter writes is read back both through the adapter
 * and behind its back: through the HTTP API (serials, keys) and over DNS (signatures).
 */

const nameservers = ['ns1.berth.test', 'ns2.berth.test'];

/** A zone no other test uses. */
function aZone(purpose: string): string {
  return `${uniqueName(purpose)}.berth.test`;
}

function aFingerprint(): string {
  return randomBytes(32).toString('hex');
}

function change(zone: string, parts: Partial<Omit<ZoneChange, 'zone'>>): ZoneChange {
  return { zone, replace: [], remove: [], ...parts };
}

async function refusal(call: Promise<unknown>): Promise<DnsError> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DnsError);
  return error as DnsError;
}

function reverse(cidr: string, address: string): { zone: string; name: string } {
  const network = parseCidr(cidr);
  const parsed = parseAddress(address);
  if (typeof network === 'string' || parsed === undefined) throw new Error('bad test address');
  return { zone: reverseZone(network), name: ptrName(parsed.family, parsed.value) };
}

describe.skipIf(powerDnsUnavailable())(PowerDnsAdapter.name, () => {
  let server: PowerDnsServer;
  let options: PowerDnsOptions;
  let dns: PowerDnsAdapter;

  beforeAll(async () => {
    server = await startPowerDns();
    options = { apiUrl: server.apiUrl, apiKey: server.apiKey, nameservers };
    dns = new PowerDnsAdapter(options);
  });
  afterAll(async () => {
    await dns?.close();
    await server?.stop();
  });

  /** A GET on the API behind the adapter's back. */
  async function api<T>(path: string): Promise<T> {
    const response = await fetch(`${server.apiUrl}/api/v1/servers/localhost${path}`, {
      headers: { 'X-API-Key': server.apiKey },
      signal: AbortSignal.timeout(5_000),
    });
    expect(response.status, `GET ${path}`).toBe(200);
    return (await response.json()) as T;
  }

  interface ApiZone {
    serial: number;
    dnssec: boolean;
    rrsets: { name: string; type: string; records: { content: string }[] }[];
  }

  const zoneOnServer = (zone: string) => api<ApiZone>(`/zones/${zone}.`);

  function ask(name: string, type: 'A' | 'SSHFP' | 'DNSKEY' | 'SOA'): Promise<DnsAnswer> {
    return queryDns({ host: '127.0.0.1', port: server.dnsPort, name, type, dnssec: true });
  }

  describe('zones', () => {
    it('creates a zone once, with its SOA and NS records, however often it is asked', async () => {
      const zone = aZone('create');
      await dns.ensureZone(zone, { dnssec: false });
      const created = await zoneOnServer(zone);
      await dns.ensureZone(zone, { dnssec: false });

      const again = await zoneOnServer(zone);
      expect(again.serial).toBe(created.serial);
      expect(again.dnssec).toBe(false);
      const apex = (type: string) => again.rrsets.find((set) => set.type === type)?.records;
      // PowerDNS turns the serial 0 the adapter sends into a date serial (YYYYMMDDnn).
      expect(apex('SOA')?.[0]?.content.split(' ').slice(0, 2)).toEqual([
        'ns1.berth.test.',
        `hostmaster.${zone}.`,
      ]);
      expect(again.serial).toBeGreaterThan(2000_00_00_00);
      expect(
        apex('NS')
          ?.map((record) => record.content)
          .sort(),
      ).toEqual(['ns1.berth.test.', 'ns2.berth.test.']);
      expect(await dns.listRecordSets(zone)).toEqual([]);
    });

    it('creates a zone once when callers ask at the same time', async () => {
      // The server answers the losing create with 409 or, when both pass its existence check,
      // with a 500 from its database's unique constraint; several rounds meet both.
      const zones = Array.from({ length: 8 }, () => aZone('race'));
      await Promise.all(
        zones.flatMap((zone) => [
          dns.ensureZone(zone, { dnssec: true }),
          dns.ensureZone(zone, { dnssec: true }),
          dns.ensureZone(zone, { dnssec: false }),
        ]),
      );
      const names = (await api<{ name: string }[]>('/zones')).map((found) => found.name);
      for (const zone of zones) {
        expect(names.filter((name) => name === `${zone}.`)).toHaveLength(1);
        expect((await zoneOnServer(zone)).dnssec).toBe(true);
      }
    });

    it('creates IPv4 and IPv6 reverse zones', async () => {
      for (const zone of ['2.0.192.in-addr.arpa', '0.b.0.0.8.b.d.0.1.0.0.2.ip6.arpa']) {
        await dns.ensureZone(zone, { dnssec: false });
        await dns.ensureZone(zone, { dnssec: false });
        expect((await zoneOnServer(zone)).rrsets.map((set) => set.type).sort()).toEqual([
          'NS',
          'SOA',
        ]);
      }
    });
  });

  describe('records', () => {
    it('publishes host records in a forward zone and reads them back', async () => {
      const zone = aZone('forward');
      const fingerprint = aFingerprint();
      await dns.ensureZone(zone, { dnssec: false });
      const sets: DnsRecordSet[] = [
        { name: `web-1.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.10'] },
        { name: `web-1.${zone}`, type: 'AAAA', ttl: 300, records: ['2001:db8::10'] },
        {
          name: `web-1.${zone}`,
          type: 'SSHFP',
          ttl: 300,
          records: [`4 2 ${fingerprint}`, `1 2 ${fingerprint}`],
        },
        { name: `www.${zone}`, type: 'CNAME', ttl: 600, records: [`web-1.${zone}.`] },
      ];
      await dns.applyChanges(change(zone, { replace: sets }));

      expect(await dns.listRecordSets(zone)).toEqual([
        sets[0],
        sets[1],
        { ...sets[2], records: [`1 2 ${fingerprint}`, `4 2 ${fingerprint}`] },
        sets[3],
      ]);
    });

    it('publishes PTR records in IPv4 and IPv6 reverse zones', async () => {
      const v4 = reverse('198.51.100.0/24', '198.51.100.7');
      const v6 = reverse('2001:db8:a0::/48', '2001:db8:a0::7');
      expect(v4).toEqual({ zone: '100.51.198.in-addr.arpa', name: '7.100.51.198.in-addr.arpa' });
      expect(v6.zone).toBe('0.a.0.0.8.b.d.0.1.0.0.2.ip6.arpa');
      for (const { zone, name } of [v4, v6]) {
        await dns.ensureZone(zone, { dnssec: false });
        const ptr: DnsRecordSet = { name, type: 'PTR', ttl: 300, records: ['web-7.berth.test.'] };
        await dns.applyChanges(change(zone, { replace: [ptr] }));
        expect(await dns.listRecordSets(zone)).toEqual([ptr]);
      }
    });

    it('replaces a set with exactly the given records, and removes sets, missing ones too', async () => {
      const zone = aZone('replace');
      await dns.ensureZone(zone, { dnssec: false });
      await dns.applyChanges(
        change(zone, {
          replace: [
            { name: `a.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.1', '192.0.2.2'] },
            { name: `b.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.3'] },
          ],
        }),
      );
      await dns.applyChanges(
        change(zone, {
          replace: [{ name: `a.${zone}`, type: 'A', ttl: 60, records: ['192.0.2.9'] }],
          remove: [
            { name: `b.${zone}`, type: 'A' },
            { name: `never.${zone}`, type: 'AAAA' },
          ],
        }),
      );
      expect(await dns.listRecordSets(zone)).toEqual([
        { name: `a.${zone}`, type: 'A', ttl: 60, records: ['192.0.2.9'] },
      ]);
      // Removing what is already gone succeeds.
      await expect(
        dns.applyChanges(change(zone, { remove: [{ name: `b.${zone}`, type: 'A' }] })),
      ).resolves.toBeUndefined();
    });

    it('leaves the zone and its serial alone when a change is applied again', async () => {
      // PowerDNS raises the serial on every PATCH, even one that changes nothing; the adapter
      // sends none then, so the serial moves only with the data.
      const zone = aZone('again');
      await dns.ensureZone(zone, { dnssec: true });
      const host: DnsRecordSet = {
        name: `web-1.${zone}`,
        type: 'SSHFP',
        ttl: 300,
        records: [`4 2 ${aFingerprint()}`, `1 2 ${aFingerprint()}`],
      };
      const gone = { name: `old.${zone}`, type: 'A' as const };
      await dns.applyChanges(change(zone, { replace: [host], remove: [gone] }));
      const applied = await zoneOnServer(zone);
      const sets = await dns.listRecordSets(zone);

      await dns.applyChanges(change(zone, { replace: [host], remove: [gone] }));
      await dns.applyChanges(change(zone, {}));
      expect((await zoneOnServer(zone)).serial).toBe(applied.serial);
      expect(await dns.listRecordSets(zone)).toEqual(sets);

      await dns.applyChanges(change(zone, { replace: [{ ...host, ttl: 600 }] }));
      expect((await zoneOnServer(zone)).serial).toBeGreaterThan(applied.serial);
    });
  });

  describe('failures', () => {
    it('refuses a wrong API key as denied, without echoing a key', async () => {
      const zone = aZone('denied');
      await dns.ensureZone(zone, { dnssec: false });
      const wrongKey = 'not-the-key-0123456789';
      const intruder = new PowerDnsAdapter({ ...options, apiKey: wrongKey });
      for (const call of [
        () => intruder.listRecordSets(zone),
        () => intruder.ensureZone(aZone('denied'), { dnssec: false }),
      ]) {
        const error = await refusal(call());
        expect(error).toMatchObject({ kind: 'DnsDenied', retryable: false });
        expect(error.message).not.toContain(wrongKey);
        expect(error.message).not.toContain(server.apiKey);
      }
    });

    it('reports a missing zone as such', async () => {
      const zone = aZone('missing');
      const a: DnsRecordSet = { name: `a.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.1'] };
      for (const call of [
        () => dns.listRecordSets(zone),
        () => dns.applyChanges(change(zone, { replace: [a] })),
      ]) {
        expect(await refusal(call())).toMatchObject({ kind: 'DnsZoneMissing', retryable: false });
      }
      // An empty change sends no request at all, so it cannot fail.
      await expect(dns.applyChanges(change(zone, {}))).resolves.toBeUndefined();
    });

    it('rejects a bad record with the server reason, and applies nothing of the batch', async () => {
      const zone = aZone('bad');
      await dns.ensureZone(zone, { dnssec: false });
      const good: DnsRecordSet = { name: `a.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.1'] };
      await dns.applyChanges(change(zone, { replace: [good] }));
      const before = await zoneOnServer(zone);

      const error = await refusal(
        dns.applyChanges(
          change(zone, {
            replace: [
              { name: `b.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.2'] },
              { name: `c.${zone}`, type: 'A', ttl: 300, records: ['not-an-ip'] },
            ],
            remove: [{ name: `a.${zone}`, type: 'A' }],
          }),
        ),
      );
      expect(error).toMatchObject({ kind: 'DnsRejected', retryable: false });
      expect(error.message).toContain('not-an-ip');
      expect(error.message).not.toContain(server.apiKey);
      expect(await dns.listRecordSets(zone)).toEqual([good]);
      expect((await zoneOnServer(zone)).serial).toBe(before.serial);
    });

    it('reports a server that does not listen as unavailable, to be retried', async () => {
      const nowhere = new PowerDnsAdapter({
        ...options,
        apiUrl: `http://127.0.0.1:${await freePort()}`,
      });
      const error = await refusal(nowhere.listRecordSets(aZone('nowhere')));
      expect(error).toMatchObject({ kind: 'DnsUnavailable', retryable: true });
      expect(error.message).not.toContain(server.apiKey);
    });

    it('gives up on a server that accepts but never answers, as unavailable', async () => {
      const sockets = new Set<Socket>();
      const silent: Server = createServer((socket) => sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const address = silent.address();
        if (address === null || typeof address === 'string') throw new Error('no TCP address');
        const stuck = new PowerDnsAdapter({
          ...options,
          apiUrl: `http://127.0.0.1:${address.port}`,
          requestTimeoutMs: 300,
        });
        const error = await refusal(stuck.ensureZone(aZone('stuck'), { dnssec: false }));
        expect(error).toMatchObject({ kind: 'DnsUnavailable', retryable: true });
        expect(error.message).toContain('no answer within 300 ms');
      } finally {
        sockets.forEach((socket) => socket.destroy());
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });

  describe('answers over UDP, with DNSSEC', () => {
    /** The RRSIGs in an answer, by the type they cover. */
    function signedTypes(answer: DnsAnswer): string[] {
      return (answer.answers ?? []).flatMap((record) =>
        record.type === 'RRSIG' ? [record.data.typeCovered] : [],
      );
    }

    it('signs a new zone: SSHFP and A answers carry RRSIGs, and the DNSKEY is published', async () => {
      const zone = aZone('signed');
      const fingerprint = aFingerprint();
      await dns.ensureZone(zone, { dnssec: true });
      await dns.applyChanges(
        change(zone, {
          replace: [
            { name: `web-1.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.10'] },
            { name: `web-1.${zone}`, type: 'SSHFP', ttl: 300, records: [`4 2 ${fingerprint}`] },
          ],
        }),
      );

      const sshfp = await ask(`web-1.${zone}`, 'SSHFP');
      expect(sshfp).toMatchObject({ rcode: 'NOERROR', flag_aa: true });
      expect(sshfp.answers).toContainEqual(
        expect.objectContaining({
          type: 'SSHFP',
          name: `web-1.${zone}`,
          data: { algorithm: 4, hash: 2, fingerprint: fingerprint.toUpperCase() },
        }),
      );
      // Signed by the zone's own key, the one whose DS the API shows (`<key tag> 13 2 ...`).
      const keyTags = (await api<{ ds: string[] }[]>(`/zones/${zone}./cryptokeys`)).flatMap((key) =>
        key.ds.map((ds) => Number(ds.split(' ')[0])),
      );
      const signatures = (sshfp.answers ?? []).flatMap((record) =>
        record.type === 'RRSIG' ? [record.data] : [],
      );
      expect(signatures).toHaveLength(1);
      expect(signatures[0]).toMatchObject({
        typeCovered: 'SSHFP',
        signersName: zone,
        keyTag: keyTags[0],
      });

      const a = await ask(`web-1.${zone}`, 'A');
      expect(a.answers).toContainEqual(expect.objectContaining({ type: 'A', data: '192.0.2.10' }));
      expect(signedTypes(a)).toEqual(['A']);

      const dnskey = await ask(zone, 'DNSKEY');
      expect(dnskey.answers).toContainEqual(
        expect.objectContaining({ type: 'DNSKEY', name: zone }),
      );
      expect(signedTypes(dnskey)).toEqual(['DNSKEY']);
    });

    it('signs an existing unsigned zone when asked, records made before included', async () => {
      const zone = aZone('late');
      await dns.ensureZone(zone, { dnssec: false });
      await dns.applyChanges(
        change(zone, {
          replace: [{ name: `web-1.${zone}`, type: 'A', ttl: 300, records: ['192.0.2.10'] }],
        }),
      );
      expect(signedTypes(await ask(`web-1.${zone}`, 'A'))).toEqual([]);

      // The unsigned answer above sits in the server's packet cache; signing must not leave it.
      await dns.ensureZone(zone, { dnssec: true });
      await dns.ensureZone(zone, { dnssec: true });
      expect(await api<unknown[]>(`/zones/${zone}./cryptokeys`)).toHaveLength(1);
      expect(signedTypes(await ask(`web-1.${zone}`, 'A'))).toEqual(['A']);
      expect(signedTypes(await ask(zone, 'DNSKEY'))).toEqual(['DNSKEY']);
      // Denial of existence is signed too: the NSEC chain runs through the older record.
      const missing = await ask(`nothing.${zone}`, 'A');
      expect(missing.rcode).toBe('NXDOMAIN');
      const proofs = (missing.authorities ?? []).flatMap((record) =>
        record.type === 'NSEC' ? [`${record.name} -> ${record.data.nextDomain}`] : [],
      );
      expect(proofs).toContain(`${zone} -> web-1.${zone}`);
    });

    it('answers for a new zone at once, even when it was asked for before', async () => {
      const zone = aZone('asked');
      expect((await ask(zone, 'SOA')).rcode).toBe('REFUSED');
      await dns.ensureZone(zone, { dnssec: true });
      const soa = await ask(zone, 'SOA');
      expect(soa).toMatchObject({ rcode: 'NOERROR', flag_aa: true });
      expect(signedTypes(soa)).toEqual(['SOA']);
    });
  });
});
