import { defaultPayloadConverter } from '@temporalio/common';
import { type JSONPayload, payloadToJSON } from '@temporalio/common/lib/proto-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayloadCodec } from '../../libs/temporal/payload-codec';
import { type BerthStack, startBerth } from '../helpers/berth';
import { startDatabase, type TestDatabase } from '../helpers/databases';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../helpers/temporal';
import { uniqueName } from '../helpers/test-names';

/**
 * The codec endpoint that Temporal's UI and CLI call to show Berth's encrypted payloads (the CLI
 * path is exercised for real when the replay fixtures are recorded: test/helpers/histories.ts).
 */
describe.skipIf(temporalUnavailable())('the codec endpoint', () => {
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  const uiOrigin = 'http://127.0.0.1:18233';

  beforeAll(async () => {
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue: uniqueName('codec'),
      worker: false,
      env: { BERTH_CODEC_CORS_ORIGINS: uiOrigin },
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
  });

  const operator = () => `Bearer ${berth.token({ userId: 'olivia', operator: true })}`;

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    return fetch(`${berth.apiUrl}/codec/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: JSON.stringify(body),
    });
  }

  it('decodes what Berth encrypted, for an operator', async () => {
    const codec = createPayloadCodec(berth.config.secretKey);
    const plain = defaultPayloadConverter.toPayload({ password: 'hunter2' });
    const [encrypted] = await codec.encode([plain]);
    const response = await post(
      'decode',
      { payloads: [payloadToJSON(encrypted!)] },
      { authorization: operator() },
    );
    expect(response.status).toBe(200);
    const { payloads } = (await response.json()) as { payloads: JSONPayload[] };
    expect(payloads).toEqual([payloadToJSON(plain)]);
  });

  it('encodes for an operator, and what it encodes decodes back', async () => {
    const plain = payloadToJSON(defaultPayloadConverter.toPayload('signal input'));
    const encoded = (await (
      await post('encode', { payloads: [plain] }, { authorization: operator() })
    ).json()) as {
      payloads: JSONPayload[];
    };
    expect(encoded.payloads[0]).not.toEqual(plain);
    const decoded = (await (
      await post('default/decode', encoded, { authorization: operator() })
    ).json()) as {
      payloads: JSONPayload[];
    };
    expect(decoded.payloads).toEqual([plain]);
  });

  it.each([
    ['no credential', {}, 401],
    ['a bad token', { authorization: 'Bearer not.a.token' }, 401],
  ])('refuses %s', async (_what, headers, status) => {
    expect((await post('decode', { payloads: [] }, headers)).status).toBe(status);
  });

  it('refuses a user who is not an operator', async () => {
    const headers = { authorization: `Bearer ${berth.token({ userId: 'alice' })}` };
    expect((await post('decode', { payloads: [] }, headers)).status).toBe(403);
  });

  it('refuses another namespace and malformed bodies', async () => {
    const authorization = operator();
    expect(
      (await post('decode', { payloads: [] }, { authorization, 'x-namespace': 'other' })).status,
    ).toBe(403);
    expect((await post('decode', { nothing: true }, { authorization })).status).toBe(400);
    expect((await post('decode', { payloads: [{ metadata: 5 }] }, { authorization })).status).toBe(
      400,
    );
  });

  it('answers the Temporal UI preflight only for its configured origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${berth.apiUrl}/codec/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-namespace,authorization',
        },
      });
    const allowed = await preflight(uiOrigin);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(uiOrigin);
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    const other = await preflight('http://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
