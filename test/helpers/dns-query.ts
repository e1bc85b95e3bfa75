import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import dnsPacket, { type DecodedPacket, type RecordType } from 'dns-packet';

/** A decoded answer; dns-packet decodes the response code too, but its types omit it. */
export type DnsAnswer = DecodedPacket & { rcode: string };

export interface DnsQuery {
  /** The server's address on loopback, `127.0.0.1`. */
  host: string;
  port: number;
  name: string;
  type: RecordType;
  /** Sets EDNS's DO bit, asking for the RRSIGs (and NSECs) that go with the answer. */
  dnssec?: boolean;
  /** How long to wait for each answer. */
  timeoutMs?: number;
  /** How many times to send the question before giving up (UDP may drop one). */
  attempts?: number;
}

/**
 * Asks one question over UDP and returns the decoded answer: a new socket and a random id per
 * attempt, a bounded number of attempts. A truncated answer fails the call, since this client has
 * no TCP fallback; the EDNS buffer of 4096 bytes fits the small zones the tests use.
 */
export async function queryDns(query: DnsQuery): Promise<DnsAnswer> {
  const attempts = query.attempts ?? 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let answer: DnsAnswer;
    try {
      answer = await askOnce(query, query.timeoutMs ?? 2_000);
    } catch (error) {
      lastError = error;
      continue;
    }
    if (answer.flag_tc) throw new Error(`the answer to ${describe(query)} was truncated`);
    return answer;
  }
  throw new Error(`no DNS answer to ${describe(query)} after ${attempts} attempts`, {
    cause: lastError,
  });
}

function askOnce(query: DnsQuery, timeoutMs: number): Promise<DnsAnswer> {
  const id = randomInt(0, 0x10000);
  const question = dnsPacket.encode({
    type: 'query',
    id,
    questions: [{ type: query.type, name: query.name }],
    additionals: [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: 4096,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: query.dnssec ? dnsPacket.DNSSEC_OK : 0,
        flag_do: query.dnssec ?? false,
        options: [],
      },
    ],
  });
  const socket = createSocket('udp4');
  let timer: NodeJS.Timeout | undefined;
  return new Promise<DnsAnswer>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', reject);
    socket.on('message', (message) => {
      try {
        const answer = dnsPacket.decode(message) as DnsAnswer;
        // Anything else on this socket is not ours; keep waiting.
        if (answer.id === id) resolve(answer);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.send(question, query.port, query.host, (error) => {
      if (error) reject(error);
    });
  }).finally(() => {
    clearTimeout(timer);
    socket.close();
  });
}

function describe(query: DnsQuery): string {
  return `${query.name} ${query.type} at ${query.host}:${query.port}`;
}
