import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  onTestFinished,
} from 'vitest';
import { createAnsibleActivities } from '../../../activities/ansible/activities';
import { AnsiblePlaybook } from '../../../activities/ansible/ansible-playbook/ansible-playbook';
import {
  callbackPluginFolder,
  findAnsiblePlaybook,
} from '../../../activities/ansible/ansible-playbook/locations';
import {
  endProcessTree,
  liveProcessesOf,
} from '../../../activities/ansible/ansible-playbook/process-tree';
import {
  type ConfigurationRequest,
  ConfigurationRunError,
  type ConfigurationTarget,
} from '../../../activities/ansible/port';
import { type SiteVars } from '../../../activities/ansible/site-data';
import { derivedDatabasePassword } from '../../../activities/keys/server-secrets';
import { SimulatedAnsible } from '../../../activities/ansible/simulated/simulated-ansible';
import { forkEm } from '../../../libs/db/orm';
import { ConfigurationRun, Site } from '../../../libs/domain';
import { provisionWorkflowId } from '../../../libs/temporal/names';
import {
  databaseKinds,
  databaseUnavailable,
  startDatabase,
  type TestDatabase,
} from '../../helpers/databases';
import {
  aptRepositoryUnavailable,
  buildDeb,
  writeAptRepository,
} from '../../helpers/apt-repository';
import { type BerthStack, startBerth } from '../../helpers/berth';
import { type DebianRoot, debianRootUnavailable, startDebianRoot } from '../../helpers/debian-root';
import { eventually } from '../../helpers/eventually';
import {
  type RequestSiteData,
  requestSiteMutation,
  type SiteData,
  siteQuery,
} from '../../helpers/graphql-documents';
import { serverUnavailable } from '../../helpers/require-server';
import { startTemporal, type TestTemporal, temporalUnavailable } from '../../helpers/temporal';
import { uniqueName } from '../../helpers/test-names';

const executable = findAnsiblePlaybook({ pathEnv: process.env.PATH });
const unavailable =
  executable === undefined
    ? serverUnavailable(
        'ansible-playbook',
        'not in tools/ansible-venv/bin, tools/venv/bin or on PATH (run scripts/setup)',
      )
    : undefined;

const fixtures = join(__dirname, '../../fixtures/ansible');
const execFileAsync = promisify(execFile);

/** Text that would run `id` or touch a file if ansible or a shell ever evaluated it. */
function hostileText(out: string): string {
  return `{{ lookup('ansible.builtin.pipe', 'touch ${out}/pwned') }} $(touch ${out}/pwned) \`id\`; {% raw %}`;
}

function aTarget(overrides: Partial<ConfigurationTarget> = {}): ConfigurationTarget {
  return {
    vmId: randomUUID(),
    siteId: null,
    hostname: 'web-1.sites.berth.test',
    ipv4: '192.0.2.10',
    ipv6: '2001:db8:b0::10',
    ...overrides,
  };
}

function aRequest(
  fields: { description?: string; name?: string; password?: string } = {},
): ConfigurationRequest {
  const target = aTarget();
  const vars: SiteVars = {
    berth: {
      site: {
        id: randomUUID(),
        name: fields.name ?? 'a site',
        description: fields.description ?? 'a description',
      },
      server: {
        vm_id: target.vmId,
        hostname: target.hostname,
        ipv4: target.ipv4,
        ipv6: target.ipv6,
      },
      users: [],
      unix_groups: [],
      admins_sudo: true,
      vhosts: [
        {
          name: 'default',
          server_name: target.hostname,
          aliases: [],
          web_root: '/var/www/default',
          tls: false,
        },
        {
          name: 'blog',
          server_name: 'blog.example.org',
          aliases: [],
          web_root: '/var/www/blog',
          tls: false,
        },
      ],
      packages: [],
    },
  };
  return {
    target,
    vars,
    secrets: {
      berth_secrets: {
        mysql_root_password: fields.password ?? randomBytes(24).toString('base64url'),
        tls: {},
      },
    },
  };
}

/** A folder of the test's own: runs' folders go in `runs`, fixtures write to `out`. */
interface Workspace {
  runs: string;
  out: string;
  remove(): Promise<void>;
}

async function aWorkspace(): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), 'berth-runner-test-'));
  const runs = join(root, 'runs');
  const out = join(root, 'out');
  await mkdir(runs);
  await mkdir(out);
  return { runs, out, remove: () => rm(root, { recursive: true, force: true }) };
}

/** The adapter as a worker makes it, pointed at a fixture (for both runs) and at this machine. */
function aRunner(playbook: string, workspace: Workspace, hostVars: Record<string, unknown> = {}) {
  const fixture = { path: join(fixtures, playbook) };
  return new AnsiblePlaybook({
    executable: executable!,
    playbooks: { configure: fixture, upgrade: fixture },
    callbackPlugins: callbackPluginFolder(),
    hostVars: {
      ansible_connection: 'local',
      ansible_python_interpreter: '{{ ansible_playbook_python }}',
      berth_test_dir: workspace.out,
      ...hostVars,
    },
    killGraceMs: 3_000,
    tempRoot: workspace.runs,
  });
}

/** Processes whose command line (arguments joined by spaces) passes `match`, with their group. */
function processes(match: (commandLine: string) => boolean): { pid: number; pgid: number }[] {
  const found: { pid: number; pgid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (!match(commandLine)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      found.push({ pid: Number(entry), pgid });
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/**
 * Waits for long.yml's `sleep` and returns it with the process groups of the run: ansible-playbook
 * and its workers (each in a session of its own: ansible's workers call setsid), the sleep being
 * in a worker's.
 */
async function longTaskRunning(workspace: Workspace) {
  const found = await eventually(
    "the long task's sleep",
    () => {
      const ansible = processes((line) => line.includes(workspace.runs));
      const groups = new Set(ansible.map((p) => p.pgid));
      const sleep = processes((line) => line === 'sleep 60 ').find((p) => groups.has(p.pgid));
      return Promise.resolve(sleep && { ...sleep, groups });
    },
    (value) => value !== undefined,
  );
  return found!;
}

describe.skipIf(unavailable)(AnsiblePlaybook.name, () => {
  let workspace: Workspace;
  beforeEach(async () => {
    workspace = await aWorkspace();
  });
  afterEach(async () => {
    await workspace.remove();
  });

  it('reports each task as it starts, in order, and the counts of the run', async () => {
    const progress: string[] = [];
    const report = await aRunner('site-data.yml', workspace).configure(aRequest(), {
      onProgress: (task) => progress.push(task),
    });
    expect(progress).toEqual([
      'Write the description',
      "Write the site's name",
      'Write the virtual hosts',
      'Look at the secrets file',
      "Write the secrets file's mode",
      'Record the command line',
      'Record the environment',
    ]);
    expect(report).toMatchObject({ ok: 7, changed: 6, failed: 0, unreachable: 0 });
    expect(report.output).toContain('PLAY RECAP');
    // ANSIBLE_NOCOLOR: no escape sequences in what is stored.
    expect(report.output).not.toContain('\u001b[');
  });

  it('hands site data over as inert text: templates and shell syntax arrive literally', async () => {
    const description = hostileText(workspace.out);
    const request = aRequest({ description, name: '{{ 7 * 7 }}' });
    await aRunner('site-data.yml', workspace).configure(request, { onProgress: () => undefined });

    // ansible-core 2.19 renders templates found in a plain extra-vars file's strings (the
    // lookup would run); marked `__ansible_unsafe` they are copied as they are.
    expect(await readFile(join(workspace.out, 'description.txt'), 'utf8')).toBe(description);
    expect(await readFile(join(workspace.out, 'name.txt'), 'utf8')).toBe('{{ 7 * 7 }}');
    expect(existsSync(join(workspace.out, 'pwned'))).toBe(false);
    // Filters still work on inert strings.
    expect(await readFile(join(workspace.out, 'vhosts.txt'), 'utf8')).toBe(
      'web-1.sites.berth.test\nblog.example.org',
    );
  });

  it('keeps the secrets in a file of mode 0600 during the run and removes it after', async () => {
    await aRunner('site-data.yml', workspace).configure(aRequest(), {
      onProgress: () => undefined,
    });
    expect(await readFile(join(workspace.out, 'secrets-mode.txt'), 'utf8')).toBe('True 0600');
    expect(readdirSync(workspace.runs)).toEqual([]);
  });

  it('puts only file paths on the command line, and neither site text nor inherited secrets in the environment', async () => {
    const description = hostileText(workspace.out);
    const password = randomBytes(24).toString('base64url');
    const request = aRequest({ description, name: 'site-name-in-argv', password });
    // A variable of the worker's own environment, as BERTH_SECRET_KEY would be.
    process.env.BERTH_TEST_INHERITED = 'inherited-value';
    try {
      await aRunner('site-data.yml', workspace).configure(request, {
        onProgress: () => undefined,
      });
    } finally {
      delete process.env.BERTH_TEST_INHERITED;
    }

    const argv = (await readFile(join(workspace.out, 'cmdline.txt'), 'utf8'))
      .split('\0')
      .filter(Boolean);
    // python, ansible-playbook, then ours.
    const ours = argv.slice(argv.findIndex((arg) => arg.endsWith('/ansible-playbook')) + 1);
    expect(ours).toHaveLength(7);
    for (const arg of ours) {
      expect(
        ['-i', '-e'].includes(arg) ||
          arg.replace(/^@/, '').startsWith(workspace.runs) ||
          arg === join(fixtures, 'site-data.yml'),
        `argument ${arg}`,
      ).toBe(true);
    }
    const environment = await readFile(join(workspace.out, 'environ.txt'), 'utf8');
    for (const text of [description, 'site-name-in-argv', password, 'inherited-value']) {
      expect(argv.join(' ')).not.toContain(text);
      expect(environment).not.toContain(text);
    }
    const variables = environment.split('\0').map((line) => line.split('=')[0]);
    expect(variables).toEqual(expect.arrayContaining(['PATH', 'HOME', 'ANSIBLE_NOCOLOR']));
  });

  it('fails with an error naming the failed task and host, its output kept and redacted', async () => {
    const password = randomBytes(24).toString('base64url');
    const error = await aRunner('failing.yml', workspace)
      .configure(aRequest({ password }), { onProgress: () => undefined })
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toBeInstanceOf(ConfigurationRunError);
    const failed = error as ConfigurationRunError;
    expect(failed.message).toBe(
      'task "Check the database password" failed on web-1.sites.berth.test: the password [redacted] was refused',
    );
    expect(failed.report).toMatchObject({
      ok: 1,
      failed: 1,
      unreachable: 0,
      failedTask: 'Check the database password',
      failedHost: 'web-1.sites.berth.test',
    });
    expect(failed.report.output).toContain('the password [redacted] was refused');
    expect(failed.report.output).not.toContain(password);
    expect(readdirSync(workspace.runs)).toEqual([]);
  });

  it('fails with an error naming an unreachable host', async () => {
    // Nothing listens on port 1 of loopback: ssh is refused at once.
    const runner = aRunner('ping.yml', workspace, {
      ansible_connection: 'ssh',
      ansible_host: '127.0.0.1',
      ansible_port: 1,
      ansible_ssh_common_args: '-o ConnectTimeout=5 -o BatchMode=yes',
    });
    const error = await runner.configure(aRequest(), { onProgress: () => undefined }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(ConfigurationRunError);
    const failed = error as ConfigurationRunError;
    expect(failed.message).toMatch(
      /^web-1\.sites\.berth\.test was unreachable in task "Check that the server answers": /,
    );
    expect(failed.report).toMatchObject({
      unreachable: 1,
      failedTask: 'Check that the server answers',
      failedHost: 'web-1.sites.berth.test',
    });
  });

  it('fails when ansible-playbook ends without reporting a result', async () => {
    const error = await aRunner('broken.yml', workspace)
      .configure(aRequest(), { onProgress: () => undefined })
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toBeInstanceOf(ConfigurationRunError);
    expect((error as Error).message).toMatch(
      /^ansible-playbook ended without a result \(exit code [1-9]\d*\): /,
    );
    expect((error as ConfigurationRunError).report.output).toContain('berth.nonexistent.module');
  });

  it('ends every process of the run within seconds when cancelled, and removes its folder', async () => {
    const controller = new AbortController();
    const progress: string[] = [];
    const running = aRunner('long.yml', workspace)
      .configure(aRequest(), {
        onProgress: (task) => progress.push(task),
        signal: controller.signal,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    // A failed assertion below must not leave the run behind.
    onTestFinished(async () => {
      controller.abort();
      await running;
    });

    const sleeper = await longTaskRunning(workspace);
    expect(progress).toEqual(['Say hello', 'Wait a long time']);
    expect(sleeper.groups.size).toBeGreaterThan(1);

    const cancelledAt = Date.now();
    controller.abort();
    const error = await running;
    expect(Date.now() - cancelledAt).toBeLessThan(5_000);

    expect(error).toBeInstanceOf(ConfigurationRunError);
    expect((error as Error).message).toBe(
      'configuration run cancelled during task "Wait a long time"',
    );
    expect(liveProcessesOf(sleeper.groups)).toEqual([]);
    expect(processes((line) => line === 'sleep 60 ').filter((p) => p.pid === sleeper.pid)).toEqual(
      [],
    );
    expect(readdirSync(workspace.runs)).toEqual([]);
  });

  it('runs an upgrade on the same machinery: the release as an inert file, progress, cancellation', async () => {
    const controller = new AbortController();
    const progress: string[] = [];
    const running = aRunner('long.yml', workspace)
      .upgrade(
        { target: aTarget(), release: 'trixie' },
        { onProgress: (task) => progress.push(task), signal: controller.signal },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    onTestFinished(async () => {
      controller.abort();
      await running;
    });

    const sleeper = await longTaskRunning(workspace);
    expect(progress).toEqual(['Say hello', 'Wait a long time']);
    // The inventory and the release, marked inert; no secrets file.
    const [folder] = readdirSync(workspace.runs);
    const runFiles = readdirSync(join(workspace.runs, folder!)).sort();
    expect(runFiles).toEqual(['events.jsonl', 'inventory.json', 'tmp', 'vars.json']);
    expect(JSON.parse(await readFile(join(workspace.runs, folder!, 'vars.json'), 'utf8'))).toEqual({
      berth_upgrade: { release: { __ansible_unsafe: 'trixie' } },
    });
    const [ansible] = processes(
      (line) => line.includes(workspace.runs) && line.includes('ansible-playbook'),
    );
    const argv = readFileSync(`/proc/${ansible!.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    expect(argv.slice(argv.findIndex((arg) => arg.endsWith('/ansible-playbook')) + 1)).toEqual([
      '-i',
      join(workspace.runs, folder!, 'inventory.json'),
      '-e',
      `@${join(workspace.runs, folder!, 'vars.json')}`,
      join(fixtures, 'long.yml'),
    ]);

    controller.abort();
    const error = await running;
    expect(error).toBeInstanceOf(ConfigurationRunError);
    expect((error as Error).message).toBe('upgrade cancelled during task "Wait a long time"');
    expect(liveProcessesOf(sleeper.groups)).toEqual([]);
    expect(readdirSync(workspace.runs)).toEqual([]);
  });
});

/**
 * ansible/upgrade.yml through the runner against a real Debian 12 root (the chroot connection).
 * This machine reaches no Debian mirror, so the "release" is a local `file:` repository in the
 * root whose trixie suite holds one package, berth-os-marker 2, of which the root has version 1:
 * the role's tasks, APT's update and its dist-upgrade all run for real, on that one package.
 */
describe.skipIf(unavailable ?? debianRootUnavailable() ?? aptRepositoryUnavailable())(
  `${AnsiblePlaybook.name} upgrading a Debian root`,
  () => {
    const hostname = 'web-1.sites.berth.test';
    const repository = '/srv/berth-test-repo';
    let root: DebianRoot;
    let workspace: Workspace;

    beforeAll(async () => {
      workspace = await aWorkspace();
      root = await startDebianRoot();
      const marker = (version: string) =>
        buildDeb(workspace.out, {
          name: 'berth-os-marker',
          version,
          files: { '/usr/share/berth-os-marker/release': `marker ${version}\n` },
        });
      const [installed, upgraded] = await Promise.all([marker('1'), marker('2')]);
      await writeAptRepository(join(root.dir, repository), {
        trixie: [upgraded],
        'trixie-updates': [],
        'trixie-security': [],
      });
      await copyFile(installed, join(root.dir, 'tmp/berth-os-marker_1_all.deb'));
      await inRoot(['dpkg', '--install', '/tmp/berth-os-marker_1_all.deb']);
    }, 180_000);
    afterAll(async () => {
      await root?.stop();
      await workspace?.remove();
    });

    async function inRoot(args: string[]): Promise<string> {
      const { stdout } = await execFileAsync('chroot', [root.dir, ...args], { timeout: 60_000 });
      return stdout;
    }
    const onDisk = (path: string) => readFile(join(root.dir, path), 'utf8');
    const markerVersion = () =>
      inRoot(['dpkg-query', '--show', '--showformat=${Version}', 'berth-os-marker']);

    /** The adapter as create-ansible makes it, with the operator's host variables for the root. */
    function anUpgrader() {
      const ansibleDir = join(__dirname, '../../../ansible');
      return new AnsiblePlaybook({
        executable: executable!,
        playbooks: {
          configure: { path: join(ansibleDir, 'site.yml') },
          upgrade: {
            path: join(ansibleDir, 'upgrade.yml'),
            ansibleConfig: join(ansibleDir, 'ansible.cfg'),
          },
        },
        callbackPlugins: callbackPluginFolder(),
        hostVars: {
          ansible_connection: 'community.general.chroot',
          ansible_host: root.dir,
          os_upgrade_mirror: `file:${repository}`,
          os_upgrade_security_mirror: `file:${repository}`,
          os_upgrade_components: ['main'],
          os_upgrade_trusted: true,
        },
        killGraceMs: 3_000,
        tempRoot: workspace.runs,
      });
    }

    it('refuses a release that is not a suite name before it changes anything', async () => {
      const before = await onDisk('etc/apt/sources.list');
      const error = await anUpgrader()
        .upgrade(
          { target: aTarget({ hostname }), release: 'trixie main\nTrusted: yes' },
          { onProgress: () => undefined },
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );

      expect(error).toBeInstanceOf(ConfigurationRunError);
      expect((error as ConfigurationRunError).report).toMatchObject({
        changed: 0,
        failedTask: 'os_upgrade : Check the release, the mirrors and the components',
        failedHost: hostname,
      });
      expect(await onDisk('etc/apt/sources.list')).toBe(before);
    }, 120_000);

    it('upgrades the root to the release, records it, does not restart a chroot, and changes nothing the second time', async () => {
      expect(await markerVersion()).toBe('1');
      const progress: string[] = [];
      const target = aTarget({ hostname });

      const first = await anUpgrader().upgrade(
        { target, release: 'trixie' },
        { onProgress: (task) => progress.push(task) },
      );

      expect(first).toMatchObject({ failed: 0, unreachable: 0 });
      expect(first.changed).toBeGreaterThan(0);
      expect(progress).toEqual([
        'Gathering Facts',
        "Copy the upgrade's data as inert text",
        "Check the upgrade's data",
        'os_upgrade : Check the release, the mirrors and the components',
        'os_upgrade : Point APT at the release',
        'os_upgrade : Look for the one-line sources list',
        "os_upgrade : Turn off the old release's one-line sources",
        'os_upgrade : Upgrade every package to the release',
        'os_upgrade : Make the folder for the record',
        'os_upgrade : Record the release',
        'os_upgrade : Look for a restart that packages asked for',
        'os_upgrade : Restart into the release',
      ]);
      // APT read the new sources, and dist-upgrade took the release's version of the package.
      expect(await markerVersion()).toBe('2');
      expect(await onDisk('usr/share/berth-os-marker/release')).toBe('marker 2\n');
      expect(await onDisk('etc/berth/os-release')).toBe('trixie\n');
      const sources = await onDisk('etc/apt/sources.list.d/debian.sources');
      expect(sources).toContain(`URIs: file:${repository}\nSuites: trixie trixie-updates\n`);
      expect(sources).toContain('Suites: trixie-security\n');
      // The root's one-line bookworm entry is off: APT no longer reads the old release.
      expect(await onDisk('etc/apt/sources.list')).not.toMatch(/^deb /m);
      expect(await onDisk('etc/apt/sources.list')).toMatch(/^# deb .* bookworm /m);
      // is_chroot: the restart was skipped, not attempted.
      expect(first.output).toMatch(
        /TASK \[os_upgrade : Restart into the release\][^\n]*\nskipping: \[web-1\.sites\.berth\.test\]/,
      );

      const second = await anUpgrader().upgrade(
        { target, release: 'trixie' },
        { onProgress: () => undefined },
      );
      expect(second).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
      expect(second.ok).toBeGreaterThan(0);
      expect(readdirSync(workspace.runs)).toEqual([]);
    }, 240_000);
  },
);

describe(endProcessTree.name, () => {
  it('ends descendants in sessions of their own, with SIGKILL when they ignore SIGTERM', async () => {
    // A unique duration names this test's sleep; it ignores SIGTERM (inherited from the trap)
    // and runs in a session of its own, as an ansible worker's command does.
    const seconds = `61.${randomBytes(3).readUIntBE(0, 3)}`;
    const leader = spawn('sh', ['-c', `setsid sh -c 'trap "" TERM; sleep ${seconds}' & wait`], {
      detached: true,
      stdio: 'ignore',
    });
    const sleep = await eventually(
      'the stubborn sleep',
      () => Promise.resolve(processes((line) => line === `sleep ${seconds} `)[0]),
      (found) => found !== undefined,
    );
    expect(sleep!.pgid).not.toBe(leader.pid);

    try {
      const startedAt = Date.now();
      await endProcessTree(leader.pid!, 300);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(300);
      expect(liveProcessesOf([leader.pid!, sleep!.pgid])).toEqual([]);
    } finally {
      // Whatever a failed assertion left behind.
      for (const pgid of [leader.pid!, sleep!.pgid]) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
});

describe.each(databaseKinds)('configureServer on %s', (kind) => {
  const skip = unavailable ?? databaseUnavailable(kind);
  const secretKey = randomBytes(32);
  const osReleases = new Map([['debian-13', 'trixie']]);
  let db: TestDatabase;
  let workspace: Workspace;

  beforeAll(async () => {
    if (!skip) db = await startDatabase(kind);
  });
  afterAll(async () => {
    await db?.stop();
  });
  beforeEach(async () => {
    workspace = await aWorkspace();
  });
  afterEach(async () => {
    await workspace.remove();
  });

  /** A site whose description would run a command if ansible ever rendered it. */
  async function aSite(): Promise<Site> {
    const site = new Site({
      id: randomUUID(),
      name: 'hostile',
      description: hostileText(workspace.out),
      owner: 'alice',
      contactEmail: 'alice@example.org',
    });
    await forkEm(db.orm).persistAndFlush(site);
    return site;
  }

  /** The activity in a mock activity context of its own: one attempt of one workflow run. */
  function anAttempt() {
    const runId = randomUUID();
    const environment = new MockActivityEnvironment(
      {
        activityId: '7',
        attempt: 2,
        workflowExecution: { workflowId: `site/${randomUUID()}`, runId },
      },
      // The failures these tests cause on purpose would each be logged as a warning.
      { logger: new DefaultLogger('ERROR') },
    );
    return { environment, rowId: `${runId}/7/2` };
  }

  const rowOf = (id: string) =>
    forkEm(db.orm).findOneOrFail(ConfigurationRun, id, { populate: ['output'] });

  it.skipIf(skip)('records a successful run with its counts and output', async () => {
    const site = await aSite();
    const operationId = randomUUID();
    const { configureServer } = createAnsibleActivities({
      ansible: aRunner('site-data.yml', workspace),
      orm: db.orm,
      secretKey,
      osReleases,
    });
    const { environment, rowId } = anAttempt();
    const target = aTarget({ siteId: site.id });

    const summary = await environment.run(configureServer, { ...target, operationId });

    expect(summary).toEqual({ ok: 7, changed: 6, failed: 0, unreachable: 0 });
    const row = await rowOf(rowId);
    expect(row).toMatchObject({
      vmId: target.vmId,
      siteId: site.id,
      operationId,
      adapter: 'ansible',
      status: 'succeeded',
      ok: 7,
      changed: 6,
      failed: 0,
      failedTask: null,
    });
    expect(row.finishedAt).toBeInstanceOf(Date);
    expect(row.output).toContain('PLAY RECAP');
    // The site's data came from the database, and stayed inert.
    expect(await readFile(join(workspace.out, 'description.txt'), 'utf8')).toBe(site.description);
    expect(existsSync(join(workspace.out, 'pwned'))).toBe(false);
  });

  it.skipIf(skip)(
    'records a failed run and fails as ConfigurationFailed naming the task and host',
    async () => {
      const { configureServer } = createAnsibleActivities({
        ansible: aRunner('failing.yml', workspace),
        orm: db.orm,
        secretKey,
        osReleases,
      });
      const { environment, rowId } = anAttempt();
      const target = aTarget();

      const error = await environment.run(configureServer, target).then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(ApplicationFailure);
      expect(error).toMatchObject({
        type: 'ConfigurationFailed',
        message:
          'configuring web-1.sites.berth.test failed: task "Check the database password" failed on web-1.sites.berth.test: the password [redacted] was refused',
      });
      const row = await rowOf(rowId);
      expect(row).toMatchObject({
        operationId: null,
        status: 'failed',
        ok: 1,
        failed: 1,
        failedTask: 'Check the database password',
        failedHost: 'web-1.sites.berth.test',
      });
      expect(row.finishedAt).toBeInstanceOf(Date);
      expect(row.output).toContain('[redacted]');
      expect(row.output).not.toContain(derivedDatabasePassword(secretKey, target.vmId));
    },
  );

  it.skipIf(skip)(
    'a cancelled run ends its processes, is reported as cancelled and recorded as failed',
    async () => {
      const { configureServer } = createAnsibleActivities({
        ansible: aRunner('long.yml', workspace),
        orm: db.orm,
        secretKey,
        osReleases,
      });
      const { environment, rowId } = anAttempt();
      const heartbeats: unknown[] = [];
      environment.on('heartbeat', (details: unknown) => heartbeats.push(details));
      const running = environment.run(configureServer, aTarget()).then(
        () => undefined,
        (e: unknown) => e,
      );
      onTestFinished(async () => {
        environment.cancel();
        await running;
      });

      await eventually(
        'a heartbeat naming the long task',
        () => Promise.resolve(heartbeats),
        (seen) => seen.some((d) => (d as { task?: string }).task === 'Wait a long time'),
      );
      const { groups } = await longTaskRunning(workspace);
      expect((await rowOf(rowId)).status).toBe('running');

      environment.cancel();
      expect(await running).toBeInstanceOf(CancelledFailure);
      expect(liveProcessesOf(groups)).toEqual([]);
      expect(readdirSync(workspace.runs)).toEqual([]);
      const row = await rowOf(rowId);
      expect(row).toMatchObject({ status: 'failed', failedTask: null });
      expect(row.finishedAt).toBeInstanceOf(Date);
    },
  );

  it.skipIf(skip)('records runs of the simulated adapter too', async () => {
    const { configureServer } = createAnsibleActivities({
      ansible: new SimulatedAnsible(0),
      orm: db.orm,
      secretKey,
      osReleases,
    });
    const { environment, rowId } = anAttempt();
    expect(await environment.run(configureServer, aTarget())).toEqual({
      ok: 7,
      changed: 7,
      failed: 0,
      unreachable: 0,
    });
    expect(await rowOf(rowId)).toMatchObject({ adapter: 'simulated', status: 'succeeded', ok: 7 });
  });
});

describe('provisioning with ANSIBLE=ansible', () => {
  const skip = unavailable ?? temporalUnavailable();
  let temporal: TestTemporal;
  let db: TestDatabase;
  let berth: BerthStack;
  let workspace: Workspace;
  const taskQueue = uniqueName('ansible-runner');

  beforeAll(async () => {
    if (skip) return;
    workspace = await aWorkspace();
    // The operator's host variables file, as BERTH_ANSIBLE_HOST_VARS names it.
    const hostVars = join(workspace.out, '..', 'host-vars.yml');
    await writeFile(
      hostVars,
      [
        'ansible_connection: local',
        "ansible_python_interpreter: '{{ ansible_playbook_python }}'",
        `berth_test_dir: ${JSON.stringify(workspace.out)}`,
      ].join('\n'),
    );
    [temporal, db] = await Promise.all([startTemporal(), startDatabase('sqlite')]);
    berth = await startBerth({
      db,
      temporal,
      taskQueue,
      env: {
        ANSIBLE: 'ansible',
        BERTH_ANSIBLE_PLAYBOOK_BIN: executable!,
        BERTH_ANSIBLE_PLAYBOOK: join(fixtures, 'site-data.yml'),
        BERTH_ANSIBLE_HOST_VARS: hostVars,
      },
    });
  });
  afterAll(async () => {
    await berth?.stop();
    await Promise.all([temporal?.teardown(), db?.stop()]);
    await workspace?.remove();
  });

  it.skipIf(skip)(
    "configures a new site's server on the ansible task queue and shows the run on its operation",
    async () => {
      const description = hostileText(workspace.out);
      const requested = await berth.graphql<RequestSiteData>(requestSiteMutation, {
        input: { name: uniqueName('runner'), contactEmail: 'owner@example.org', description },
      });
      const result = requested.data?.requestSite;
      if (result?.__typename !== 'RequestSitePayload' || !('site' in result)) {
        throw new Error(`unexpected result ${JSON.stringify(requested)}`);
      }
      await eventually(
        'the site becoming READY',
        async () =>
          (await berth.graphql<SiteData>(siteQuery, { id: result.site.id })).data?.site?.status,
        (status) => status === 'READY',
      );

      const response = await berth.graphql<{
        operation: { configurationRuns: Record<string, unknown>[] } | null;
      }>(
        `query Runs($id: ID!) {
          operation(id: $id) {
            configurationRuns {
              status adapter ok changed failed unreachable failedTask failedHost output
              startedAt finishedAt
            }
          }
        }`,
        { id: result.operation.id },
      );
      expect(response.errors).toBeUndefined();
      const runs = response.data!.operation!.configurationRuns;
      expect(runs).toHaveLength(1);
      expect(runs[0]).toMatchObject({
        status: 'SUCCEEDED',
        adapter: 'ansible',
        ok: 7,
        changed: 6,
        failed: 0,
        unreachable: 0,
        failedTask: null,
        failedHost: null,
      });
      expect(Date.parse(runs[0]!.finishedAt as string)).toBeGreaterThanOrEqual(
        Date.parse(runs[0]!.startedAt as string),
      );
      expect(runs[0]!.output).toContain('PLAY RECAP');
      // The description went from GraphQL to the server as text.
      expect(await readFile(join(workspace.out, 'description.txt'), 'utf8')).toBe(description);
      expect(existsSync(join(workspace.out, 'pwned'))).toBe(false);

      // Scheduled on the configuration runs' own queue.
      const { vmId } = await forkEm(db.orm).findOneOrFail(ConfigurationRun, {
        operationId: result.operation.id,
      });
      const history = await berth.temporal.workflow
        .getHandle(provisionWorkflowId(vmId))
        .fetchHistory();
      const scheduled = history.events?.find(
        (event) =>
          event.activityTaskScheduledEventAttributes?.activityType?.name === 'configureServer',
      );
      expect(scheduled?.activityTaskScheduledEventAttributes?.taskQueue?.name).toBe(
        `${taskQueue}-ansible`,
      );

      // Another user sees neither the operation nor its runs.
      const stranger = await berth.graphql<{ operation: unknown }>(
        'query Runs($id: ID!) { operation(id: $id) { configurationRuns { output } } }',
        { id: result.operation.id },
        { userId: 'mallory' },
      );
      expect(stranger.data?.operation).toBeNull();
    },
  );
});
