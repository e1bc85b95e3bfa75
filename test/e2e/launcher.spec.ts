import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mintDevToken } from '../../libs/auth/dev-token';
import { startDevServer, waitForTemporal } from '../../libs/temporal/dev-server';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../helpers/graphql-documents';
import { browserLogIn, sessionGraphql } from '../helpers/browser-login';
import { temporalCli, temporalUnavailable } from '../helpers/temporal';

const launcherMain = join(__dirname, '../../apps/launcher/main.ts');

interface Launched {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  graphqlUrl: string;
  /** The development login provider's issuer. */
  devLoginUrl: string;
}

/** Runs `npm start`'s launcher from source with a fresh data folder and the given variables. */
async function launch(dataDir: string, env: Record<string, string>): Promise<Launched> {
  const apiPort = await freePort();
  const devLoginPort = await freePort();
  let output = '';
  const child = spawn(process.execPath, ['-r', '@swc-node/register', launcherMain], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BERTH_DATA_DIR: dataDir,
      BERTH_API_PORT: String(apiPort),
      BERTH_DEV_LOGIN_PORT: String(devLoginPort),
      BERTH_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await eventually(
    'the launcher printing its URLs',
    () => Promise.resolve(output),
    (text) => text.includes('Temporal UI:') || child.exitCode !== null,
    120_000,
  );
  const graphqlUrl = `http://127.0.0.1:${apiPort}/graphql`;
  expect(output, output).toContain(`GraphQL:     ${graphqlUrl}`);
  const secretKey = Buffer.from(readFileSync(join(dataDir, 'secret.key'), 'utf8').trim(), 'base64');
  tokens.set(graphqlUrl, mintDevToken(secretKey, { userId: 'alice' }));
  return {
    child,
    output: () => output,
    exited,
    graphqlUrl,
    devLoginUrl: `http://127.0.0.1:${devLoginPort}`,
  };
}

/** Tokens for the launched api, signed with the key the launcher made in its data folder. */
const tokens = new Map<string, string>();

async function graphql<T>(url: string, query: string, variables: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.get(url)}` },
    body: JSON.stringify({ query, variables }),
  });
  return ((await response.json()) as { data: T }).data;
}

/** Requests a site through the launched api and waits until it is READY; returns its id. */
async function provisionSite(url: string, name: string): Promise<string> {
  const requested = await graphql<RequestSiteData>(url, requestSiteMutation, {
    input: { name, contactEmail: 'owner@example.org' },
  });
  if (!('site' in requested.requestSite)) throw new Error(JSON.stringify(requested));
  const siteId = requested.requestSite.site.id;
  await eventually(
    'the site becoming READY',
    () => graphql<SiteData>(url, siteQuery, { id: siteId }),
    (data) => data.site?.status === 'READY',
    60_000,
  );
  return siteId;
}

/**
 * `npm start` as a newcomer runs it: a fresh data folder, nothing configured but ports. It must
 * print both URLs, provision a site, and stop what it started on Ctrl-C.
 */
describe.skipIf(temporalUnavailable())('the embedded launcher', () => {
  const dataDirs: string[] = [];
  const children: ChildProcess[] = [];
  const freshDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-launcher-'));
    dataDirs.push(dir);
    return dir;
  };

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('starts Berth, prints its URLs, provisions a site and stops cleanly on SIGINT', async () => {
    const uiPort = await freePort();
    const launched = await launch(freshDataDir(), {
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(uiPort),
    });
    children.push(launched.child);
    const uiUrl = `http://127.0.0.1:${uiPort}`;
    expect(launched.output()).toContain(`Temporal UI: ${uiUrl}`);
    expect((await fetch(uiUrl)).status).toBe(200);

    // Several at once: the api and the worker are separate processes writing one SQLite file.
    const [siteId] = await Promise.all(
      Array.from({ length: 5 }, (_, i) => provisionSite(launched.graphqlUrl, `Launcher site ${i}`)),
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
      (ids) => ids.includes(`site/${siteId}`),
    );
    expect(shown).toContain(`site/${siteId}`);

    // Browser login works out of the box, through the development provider: alice is the
    // example directory's, and sees the sites she requested.
    const apiUrl = launched.graphqlUrl.replace(/\/graphql$/, '');
    expect(launched.output()).toContain(`Log in:      ${apiUrl}/auth/login`);
    const { jar, callback } = await browserLogIn(apiUrl, launched.devLoginUrl, 'alice');
    expect(callback.status).toBe(303);
    const listed = await sessionGraphql(apiUrl, jar, '{ sites(first: 10) { totalCount } }');
    expect(listed.body.data).toEqual({ sites: { totalCount: 5 } });

    launched.child.kill('SIGINT');
    expect(await launched.exited).toBe(0);
    // Everything it started is gone: the api, the dev server with its UI, the login provider.
    await expect(fetch(launched.graphqlUrl)).rejects.toThrow();
    await expect(fetch(uiUrl)).rejects.toThrow();
    await expect(fetch(launched.devLoginUrl)).rejects.toThrow();
    // Three processes and a dev server start from source here: give a loaded machine time.
  }, 180_000);

  it('uses the Temporal server named by TEMPORAL_ADDRESS and leaves it running', async () => {
    // A server without Berth's search attributes: the launcher must register them itself.
    const server = await startDevServer({
      cli: temporalCli!,
      port: await freePort(),
      namespace: 'default',
      searchAttributes: false,
    });
    try {
      const launched = await launch(freshDataDir(), {
        TEMPORAL_ADDRESS: server.address,
        BERTH_DEV_LOGIN: 'false',
      });
      children.push(launched.child);
      expect(launched.output()).toContain("Temporal UI: (the configured Temporal server's UI)");
      // Without the development provider there is no browser login.
      expect(launched.output()).not.toContain('Log in:');
      const apiUrl = launched.graphqlUrl.replace(/\/graphql$/, '');
      expect((await fetch(`${apiUrl}/auth/login`, { redirect: 'manual' })).status).toBe(404);
      await provisionSite(launched.graphqlUrl, 'Reused server site');

      launched.child.kill('SIGINT');
      expect(await launched.exited).toBe(0);
      await expect(fetch(launched.graphqlUrl)).rejects.toThrow();
      await waitForTemporal(server.address, 5_000);
    } finally {
      await server.stop();
    }
  });
});
