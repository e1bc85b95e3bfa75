import { type DataConverter } from '@temporalio/common';
import { type BerthConfig } from '../config';
import { createDataConverter, createPayloadCodec } from './payload-codec';

/**
 * The data converter every Temporal client and worker of Berth uses: payloads are encrypted with
 * a key derived from BERTH_SECRET_KEY, so nothing a workflow carries sits in history in clear.
 */
export function berthDataConverter(config: BerthConfig): DataConverter {
  return createDataConverter(createPayloadCodec(config.secretKey, [...config.previousSecretKeys]));
}
