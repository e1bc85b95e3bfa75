import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { temporalUnavailable } from '../helpers/temporal';

const launcher = join(__dirname, '../../apps/launcher/main.ts');

/**
 * `npm start` as a newcomer runs it: a fresh data folder, no Temporal server, nothing configured
 * but ports. It must print both URLs, provision a site, and stop everything on Ctrl-C.
 */
describe.skipIf(temporalUnavailable())('the embedded launcher', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-launcher-'));
  let child: ChildProcess | undefined;
  let output = '';

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts Berth, prints its URLs, provisions a site and stops cleanly on SIGINT', async () => {
    const [apiPort, temporalPort, uiPort] = [await freePort(), await freePort(), await freePort()];
    child = spawn(process.execPath, ['-r', '@swc-node/register', launcher], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        BERTH_DATA_DIR: dataDir,
        BERTH_API_PORT: String(apiPort),
        TEMPORAL_DEV_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(uiPort),
        BERTH_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));

    await eventually(
      'the launcher printing its URLs',
      () => Promise.resolve(output),
      (text) => text.includes('Temporal UI:') || child!.exitCode !== null,
      120_000,
    );
    const graphqlUrl = `http://127.0.0.1:${apiPort}/graphql`;
    const uiUrl = `http://127.0.0.1:${uiPort}`;
    expect(output, output).toContain(`GraphQL:     ${graphqlUrl}`);
    expect(output).toContain(`Temporal UI: ${uiUrl}`);
    expect((await fetch(uiUrl)).status).toBe(200);

    const graphql = async <T>(query: string, variables: Record<string, unknown>) => {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      });
      return ((await response.json()) as { data: T }).data;
    };
    const requested = await graphql<RequestSiteData>(requestSiteMutation, {
      input: { name: 'Launcher site', contactEmail: 'owner@example.org' },
    });
    if (!('site' in requested.requestSite)) throw new Error(JSON.stringify(requested));
    const siteId = requested.requestSite.site.id;
    await eventually(
      'the site becoming READY',
      () => graphql<SiteData>(siteQuery, { id: siteId }),
      (data) => data.site?.status === 'READY',
      60_000,
    );

    // The Temporal UI finds the site's workflows by its search attribute (through the UI's API).
    const query = encodeURIComponent(`BerthSiteId="${siteId}"`);
    const shown = await eventually(
      "the Temporal UI listing the site's workflows",
      async () => {
        const response = await fetch(`${uiUrl}/api/v1/namespaces/default/workflows?query=${query}`);
        const body = (await response.json()) as {
          executions?: { execution: { workflowId: string } }[];
        };
        return (body.executions ?? []).map((e) => e.execution.workflowId);
      },
      (ids) => ids.length === 2,
    );
    expect(shown).toContain(`site/${siteId}`);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // Everything it started is gone: the api, and the dev server with its UI.
    await expect(fetch(graphqlUrl)).rejects.toThrow();
    await expect(fetch(uiUrl)).rejects.toThrow();
  });
});
