import { DnsError } from './errors';
import {
  type Dns,
  type DnsRecordSet,
  type ManagedRecordType,
  managedRecordTypes,
  type ZoneChange,
} from './port';

export interface PowerDnsOptions {
  /** The PowerDNS webserver, `http://<host>:<webserver-port>`; the adapter adds `/api/v1/...`. */
  apiUrl: string;
  /** A secret: sent as the X-API-Key header only, never logged or put in an error. */
  apiKey: string;
  /** The API's server id; an authoritative server calls itself `localhost`. */
  serverId?: string;
  /** NS names for the zones this adapter creates, absolute, without the trailing dot. */
  nameservers: string[];
  /** How long one HTTP exchange may take before it counts as failed. */
  requestTimeoutMs?: number;
}

/** A zone as the PowerDNS API shows it (`GET /servers/{id}/zones/{zone}`), the fields used. */
interface WireZone {
  dnssec: boolean;
  /** The zone's API-RECTIFY metadata; false when unset, even if the server's default is on. */
  api_rectify: boolean;
  rrsets: WireRecordSet[];
}

interface WireRecordSet {
  /** Absolute with the trailing dot, lower case. */
  name: string;
  type: string;
  ttl: number;
  records: { content: string; disabled: boolean }[];
}

const defaultTimeoutMs = 10_000;
/** Refresh, retry, expire and negative-answer TTL of new zones' SOA: PowerDNS's own defaults. */
const soaTimers = '10800 3600 604800 3600';
/** TTL of new zones' SOA record. */
const soaTtl = 3600;

/**
 * The Dns port on the PowerDNS authoritative server's HTTP API (tested against 4.7). Zones are
 * `Native` (replicated by the backend's database, not by zone transfer) and signed, when asked,
 * with the server's default keys (out of the box one ECDSA P-256 CSK). Every call is idempotent:
 * a change that the zone already holds sends no write, so the serial moves only with the data.
 */
export class PowerDnsAdapter implements Dns {
  readonly name = 'powerdns';
  private readonly serverUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: PowerDnsOptions) {
    if (options.nameservers.length === 0) {
      throw new Error('the powerdns adapter needs at least one nameserver for new zones');
    }
    this.serverUrl = `${options.apiUrl.replace(/\/+$/, '')}/api/v1/servers/${encodeURIComponent(
      options.serverId ?? 'localhost',
    )}`;
    this.timeoutMs = options.requestTimeoutMs ?? defaultTimeoutMs;
  }

  async ensureZone(zone: string, options: { dnssec: boolean }): Promise<void> {
    let existing = await this.findZone(zone);
    if (existing === undefined) {
      if (await this.createZone(zone, options.dnssec)) return;
      // Another caller created it between our look and our create.
      existing = await this.getZone(zone);
    }
    if (options.dnssec && !existing.dnssec) await this.sign(zone);
  }

  async applyChanges(change: ZoneChange): Promise<void> {
    if (change.replace.length === 0 && change.remove.length === 0) return;
    const zone = await this.getZone(change.zone);
    // PowerDNS raises the SOA serial on every PATCH, even one that changes nothing; sending only
    // the sets that differ keeps a retried or repeated change from touching the zone.
    const current = new Map(zone.rrsets.map((set) => [setKey(set.name, set.type), set]));
    const replace = change.replace.filter(
      (set) => !holds(current.get(setKey(absolute(set.name), set.type)), set),
    );
    const remove = change.remove.filter((set) => current.has(setKey(absolute(set.name), set.type)));
    if (replace.length === 0 && remove.length === 0) return;
    await this.send('PATCH', zonePath(change.zone), {
      zone: change.zone,
      body: {
        rrsets: [
          ...replace.map((set) => ({
            name: absolute(set.name),
            type: set.type,
            ttl: set.ttl,
            changetype: 'REPLACE',
            records: set.records.map((content) => ({ content, disabled: false })),
          })),
          ...remove.map((set) => ({
            name: absolute(set.name),
            type: set.type,
            changetype: 'DELETE',
          })),
        ],
      },
    });
    // Zones Berth creates rectify on every API change (API-RECTIFY=1); a signed zone made
    // elsewhere may rely on the server's default-api-rectify, which an operator can turn off.
    if (zone.dnssec && !zone.api_rectify) await this.rectify(change.zone);
  }

  async listRecordSets(zone: string): Promise<DnsRecordSet[]> {
    const { rrsets } = await this.getZone(zone);
    return rrsets
      .flatMap((set): DnsRecordSet[] => {
        const records = set.records.filter((record) => !record.disabled);
        if (!isManagedType(set.type) || records.length === 0) return [];
        return [
          {
            name: relative(set.name),
            type: set.type,
            ttl: set.ttl,
            records: records.map((record) => record.content).sort(compareText),
          },
        ];
      })
      .sort((a, b) => compareText(a.name, b.name) || compareText(a.type, b.type));
  }

  /** Nothing to release: global fetch pools its connections for the whole process. */
  async close(): Promise<void> {}

  private async findZone(zone: string): Promise<WireZone | undefined> {
    try {
      return await this.getZone(zone);
    } catch (error) {
      if (error instanceof DnsError && error.kind === 'DnsZoneMissing') return undefined;
      throw error;
    }
  }

  private async getZone(zone: string): Promise<WireZone> {
    const { body } = await this.send('GET', zonePath(zone), { zone });
    return body as WireZone;
  }

  /** Creates the zone; false when it already exists (someone else created it meanwhile). */
  private async createZone(zone: string, dnssec: boolean): Promise<boolean> {
    let status: number;
    try {
      ({ status } = await this.postZone(zone, dnssec));
    } catch (error) {
      // Of two creates at once, the one that loses inside the server's database gets a 500
      // (UNIQUE constraint failed: domains.name), not a 409. The zone being there settles it.
      const lostRace =
        error instanceof DnsError &&
        error.kind === 'DnsUnavailable' &&
        (await this.findZone(zone).catch(() => undefined)) !== undefined;
      if (lostRace) return false;
      throw error;
    }
    if (status === 409) return false;
    // Signing on create leaves the new SOA without its NSEC order name; rectify sets it.
    if (dnssec) await this.rectifyNewZone(zone);
    await this.flushCache(zone);
    return true;
  }

  /** The SOA of a zone this adapter makes: its first nameserver as primary. */
  private soaRecordSet(zone: string) {
    const primary = absolute(this.options.nameservers[0]!);
    return {
      name: absolute(zone),
      type: 'SOA',
      ttl: soaTtl,
      records: [
        { content: `${primary} hostmaster.${absolute(zone)} 0 ${soaTimers}`, disabled: false },
      ],
    };
  }

  private postZone(zone: string, dnssec: boolean) {
    const nameservers = this.options.nameservers.map(absolute);
    return this.send('POST', '/zones', {
      zone,
      body: {
        name: absolute(zone),
        kind: 'Native',
        nameservers,
        // Without an SOA of our own, PowerDNS writes `a.misconfigured.dns.server.invalid.` as
        // the primary. Serial 0: SOA-EDIT-API (DEFAULT) makes it YYYYMMDDnn on create.
        rrsets: [this.soaRecordSet(zone)],
        dnssec,
        api_rectify: true,
      },
      // 409 Conflict: the zone exists.
      accept: [409],
    });
  }

  /**
   * Signs an existing zone with the server's default key; a zone that already has keys keeps
   * them. Changing a zone's settings does not rectify it (the SOA that the serial bump rewrites
   * loses its order name), so this rectifies explicitly.
   */
  private async sign(zone: string): Promise<void> {
    // The settings change rectifies too, so it can meet the same missing SOA as rectifyNewZone
    // when another caller's create of the zone raced ours (seen in CI under load).
    await this.repairingSoa(zone, () =>
      this.send('PUT', zonePath(zone), { zone, body: { dnssec: true, api_rectify: true } }),
    );
    await this.repairingSoa(zone, () => this.rectify(zone));
    await this.flushCache(zone);
  }

  /**
   * Rectifies a zone just made. When another create raced ours inside the server, the rectify
   * can find the zone without its SOA for a moment (422 "No SOA known", seen under load on the
   * SQLite backend): the SOA is put back if it is missing and the rectify tried again.
   */
  private async rectifyNewZone(zone: string): Promise<void> {
    await this.repairingSoa(zone, () => this.rectify(zone));
  }

  /** Runs a step that rectifies the zone, putting its SOA back and retrying while it is missing. */
  private async repairingSoa(zone: string, step: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await step();
        return;
      } catch (error) {
        const noSoa =
          error instanceof DnsError &&
          error.kind === 'DnsRejected' &&
          error.message.includes('No SOA known');
        if (!noSoa || attempt >= 5) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      const current = await this.getZone(zone);
      if (!current.rrsets.some((set) => set.type === 'SOA')) {
        await this.send('PATCH', zonePath(zone), {
          zone,
          body: { rrsets: [{ ...this.soaRecordSet(zone), changetype: 'REPLACE' }] },
        });
      }
    }
  }

  private async rectify(zone: string): Promise<void> {
    await this.send('PUT', `${zonePath(zone)}/rectify`, { zone });
  }

  /**
   * Drops the server's cached answers for the zone and every name in it. A PATCH does this by
   * itself; creating or signing a zone does not, so answers given before (REFUSED, or unsigned)
   * would otherwise be served for up to the server's cache-ttl.
   */
  private async flushCache(zone: string): Promise<void> {
    await this.send('PUT', `/cache/flush?domain=${encodeURIComponent(absolute(zone))}`, { zone });
  }

  /**
   * One exchange with the API. Statuses outside 2xx and `accept` become DnsErrors; network
   * failures and timeouts become DnsUnavailable. Messages name the call, never the API key.
   */
  private async send(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH',
    path: string,
    request: { zone: string; body?: unknown; accept?: number[] },
  ): Promise<{ status: number; body: unknown }> {
    const call = `PowerDNS ${method} ${path}`;
    let status: number;
    let text: string;
    try {
      const response = await fetch(`${this.serverUrl}${path}`, {
        method,
        headers: {
          'X-API-Key': this.options.apiKey,
          Accept: 'application/json',
          ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        // Covers reading the body too.
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw new DnsError('DnsUnavailable', `${call}: ${transportProblem(error, this.timeoutMs)}`, {
        cause: error,
      });
    }
    if ((status >= 200 && status < 300) || request.accept?.includes(status)) {
      return { status, body: text === '' ? undefined : parseJson(text) };
    }
    throw statusError(status, errorText(text), call, request.zone);
  }
}

function statusError(status: number, detail: string, call: string, zone: string): DnsError {
  if (status === 401 || status === 403) {
    return new DnsError('DnsDenied', `${call}: the API key was refused (${status} ${detail})`);
  }
  // Every path this adapter calls that can 404 names a zone; 4.7 answers a missing zone so.
  if (status === 404) return new DnsError('DnsZoneMissing', `zone ${zone} does not exist`);
  if (status >= 500) return new DnsError('DnsUnavailable', `${call}: ${status} ${detail}`);
  return new DnsError('DnsRejected', `${call}: ${status} ${detail}`);
}

/** PowerDNS explains a refusal as `{"error": "..."}`; some statuses come as plain text. */
function errorText(text: string): string {
  try {
    const { error } = JSON.parse(text) as { error?: unknown };
    if (typeof error === 'string') return error;
  } catch {
    // Not JSON: the text itself.
  }
  return text.trim().slice(0, 300);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DnsError('DnsUnavailable', 'PowerDNS answered with malformed JSON', {
      cause: error,
    });
  }
}

function transportProblem(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${timeoutMs} ms`;
  }
  // undici says `fetch failed` and puts the reason (ECONNREFUSED, ...) in the cause.
  const cause = error instanceof Error ? error.cause : undefined;
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return `${error instanceof Error ? error.message : String(error)}${reason}`;
}

/** The API's zone id is its absolute name (`sites.example.`, `2.0.192.in-addr.arpa.`). */
function zonePath(zone: string): string {
  return `/zones/${encodeURIComponent(absolute(zone))}`;
}

function absolute(name: string): string {
  return `${name}.`;
}

function relative(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function setKey(absoluteName: string, type: string): string {
  return `${absoluteName} ${type}`;
}

/** Whether the zone's set already is exactly `wanted`: same TTL, same records, all served. */
function holds(current: WireRecordSet | undefined, wanted: DnsRecordSet): boolean {
  if (current === undefined || current.ttl !== wanted.ttl) return false;
  if (current.records.some((record) => record.disabled)) return false;
  const have = current.records.map((record) => record.content).sort(compareText);
  const want = [...wanted.records].sort(compareText);
  return have.length === want.length && have.every((content, i) => content === want[i]);
}

function isManagedType(type: string): type is ManagedRecordType {
  return (managedRecordTypes as readonly string[]).includes(type);
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
