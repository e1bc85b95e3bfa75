import { Client } from '@temporalio/client';
import {
  type DataConverter,
  defaultPayloadConverter,
  METADATA_ENCODING_KEY,
} from '@temporalio/common';
import { type temporal } from '@temporalio/proto';
import {
  bundleWorkflowCode,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AesGcmPayloadCodec,
  createDataConverter,
  createPayloadCodec,
  ENCRYPTED_ENCODING,
} from '../../../libs/temporal/payload-codec';
import type {
  echoSecret,
  EchoSecretActivities,
  EchoSecretResult,
} from '../../fixtures/workflows/echo-secret';
import { findInHistory as findIn } from '../../helpers/history-text';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../../helpers/temporal';
import { uniqueName } from '../../helpers/test-names';

const activities: EchoSecretActivities = {
  remember: (secret: string) => Promise.resolve(secret.length),
};

interface Run {
  workflowId: string;
  secret: string;
  result: EchoSecretResult;
}

/**
 * A payload codec keeps secrets out of Temporal: the server's raw history of a workflow run with
 * the codec holds no trace of the secret it carried, while one run without it does.
 */
describe.skipIf(temporalUnavailable())('payload codec on a Temporal server', () => {
  let server: TestTemporal;
  let bundle: WorkflowBundleWithSourceMap;
  let codec: AesGcmPayloadCodec;

  beforeAll(async () => {
    server = await startTemporal();
    bundle = await bundleWorkflowCode({
      workflowsPath: join(__dirname, '../../fixtures/workflows/echo-secret.ts'),
      logger: Runtime.instance().logger,
    });
    codec = createPayloadCodec(randomBytes(32));
  });
  afterAll(async () => {
    await server?.teardown();
  });

  async function runEchoSecret(name: string, dataConverter?: DataConverter): Promise<Run> {
    const taskQueue = uniqueName(name);
    const workflowId = uniqueName(name);
    const secret = `secret-${randomBytes(16).toString('hex')}`;
    const worker = await Worker.create({
      connection: server.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      activities,
      ...(dataConverter ? { dataConverter } : {}),
    });
    const client = new Client({
      connection: server.client.connection,
      ...(dataConverter ? { dataConverter } : {}),
    });
    const result = await worker.runUntil(
      client.workflow.execute<typeof echoSecret>('echoSecret', {
        taskQueue,
        workflowId,
        args: [{ secret }],
        memo: { note: secret },
      }),
    );
    return { workflowId, secret, result };
  }

  /** The history as the server keeps it, read by a client that has no codec. */
  function rawHistory(workflowId: string): Promise<temporal.api.history.v1.IHistory> {
    return server.client.workflow.getHandle(workflowId).fetchHistory();
  }

  it('keeps the secret out of the raw history, and gives it back through the codec', async () => {
    const { workflowId, secret, result } = await runEchoSecret(
      'codec-on',
      createDataConverter(codec),
    );

    expect(result).toEqual({ length: secret.length });
    const history = await rawHistory(workflowId);
    expect(findIn(history, secret)).toEqual([]);

    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    const stored = started?.input?.payloads?.[0];
    expect(Buffer.from(stored?.metadata?.[METADATA_ENCODING_KEY] ?? []).toString()).toBe(
      ENCRYPTED_ENCODING,
    );
    const [input] = await codec.decode([stored ?? {}]);
    expect(defaultPayloadConverter.fromPayload(input!)).toEqual({ secret });
    const [note] = await codec.decode([started?.memo?.fields?.note ?? {}]);
    expect(defaultPayloadConverter.fromPayload(note!)).toBe(secret);
  });

  it('shows the secret in the raw history without the codec (the control)', async () => {
    const { workflowId, secret, result } = await runEchoSecret('codec-off');

    expect(result).toEqual({ length: secret.length });
    expect(findIn(await rawHistory(workflowId), secret)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/workflowExecutionStartedEventAttributes\.input\.payloads\.0\.data/),
        expect.stringMatching(/workflowExecutionStartedEventAttributes\.memo\.fields\.note\.data/),
        expect.stringMatching(/activityTaskScheduledEventAttributes\.input\.payloads\.0\.data/),
      ]),
    );
  });
});
