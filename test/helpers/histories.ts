import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type BerthStack } from './berth';
import { temporalCli } from './temporal';

const run = promisify(execFile);

/** Whether this run refreshes the replay fixtures (BERTH_RECORD_HISTORIES=1). */
export const recordingHistories = process.env.BERTH_RECORD_HISTORIES === '1';

/**
 * Exports a workflow's history into test/fixtures/histories/<name>.json with the Temporal CLI, as
 * an operator would, decoded through Berth's codec endpoint so the fixture holds plain payloads
 * that replay without any key.
 */
export async function recordHistory(
  berth: BerthStack,
  address: string,
  workflowId: string,
  name: string,
): Promise<void> {
  const operator = berth.token({ userId: 'olivia', operator: true });
  const { stdout } = await run(temporalCli!, [
    'workflow',
    'show',
    '--address',
    address,
    '--workflow-id',
    workflowId,
    '--codec-endpoint',
    `${berth.apiUrl}/codec`,
    '--codec-auth',
    `Bearer ${operator}`,
    '--output',
    'json',
  ]);
  writeFileSync(join(__dirname, '../fixtures/histories', `${name}.json`), stdout);
}
