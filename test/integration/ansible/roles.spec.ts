import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type SiteSecrets, type SiteVars } from '../../../activities/ansible/site-data';
import { type DebianRoot, debianRootUnavailable, startDebianRoot } from '../../helpers/debian-root';
import { freePort } from '../../helpers/free-port';
import { serverUnavailable } from '../../helpers/require-server';
import { uniqueName } from '../../helpers/test-names';

/**
 * ansible/site.yml and its roles against a real Debian 12 root (the cached one scripts/setup
 * prepares), through Ansible's chroot connection. The services really start inside the root, on
 * loopback ports this file picks, and the assertions read what the roles wrote on its disk.
 */

const run = promisify(execFile);

const ansibleDir = join(__dirname, '../../../ansible');
const venvBin = join(__dirname, '../../../tools/ansible-venv/bin');
const playbookTimeoutMs = 150_000;

function ansibleUnavailable(): string | undefined {
  if (
    !existsSync(join(venvBin, 'ansible-playbook')) ||
    !existsSync(join(venvBin, 'ansible-lint'))
  ) {
    return serverUnavailable(
      'Ansible',
      `no ansible-playbook or ansible-lint in ${venvBin} (run scripts/setup)`,
    );
  }
  return undefined;
}

/** Text that would run a command or a template if anything treated it as code. */
function hostileText(marker: string): string {
  return (
    `{{ lookup('pipe', 'touch ${marker}') }} $(touch ${marker}) \`touch ${marker}\`; ` +
    `rm -rf / {% raw %} {# ../../etc/passwd {{ berth_secrets }}`
  );
}

type User = SiteVars['berth']['users'][number];
type Vhost = SiteVars['berth']['vhosts'][number];

function aUser(uid: string, fields: Partial<User> = {}): User {
  return { uid, name: `User ${uid}`, admin: false, ssh_keys: [], ...fields };
}

function aVhost(name: string, fields: Partial<Vhost> = {}): Vhost {
  return {
    name,
    server_name: `${name}.example.test`,
    aliases: [],
    web_root: `/var/www/${name}`,
    tls: false,
    ...fields,
  };
}

function aSite(fields: Partial<SiteVars['berth']> = {}): SiteVars {
  return {
    berth: {
      site: { id: 'site-1', name: 'Example', description: 'An example site' },
      server: {
        vm_id: 'vm-1',
        hostname: 'web1.example.test',
        ipv4: '192.0.2.10',
        ipv6: '2001:db8::10',
      },
      users: [],
      unix_groups: [],
      admins_sudo: true,
      vhosts: [],
      packages: [],
      ...fields,
    },
  };
}

interface PlaybookRun {
  exitCode: number;
  changed: number;
  /** "role : task" of every task that reported a change, for failure messages. */
  changedTasks: string[];
  failures: string[];
  stderr: string;
}

interface TaskResult {
  changed?: boolean;
  failed?: boolean;
  msg?: unknown;
  /** A loop's results, one per item. */
  results?: TaskResult[];
}

/** What the ansible.posix.json stdout callback prints. */
interface JsonCallbackOutput {
  plays: {
    tasks: {
      task: { name: string };
      hosts: Record<string, TaskResult>;
    }[];
  }[];
  stats: Record<string, { changed: number; failures: number; unreachable: number }>;
}

describe.skipIf(debianRootUnavailable() ?? ansibleUnavailable())('ansible/site.yml', () => {
  const hostname = 'web1.example.test';
  const mysqlRootPassword = 'a-root-password-1';
  let root: DebianRoot;
  let work: string;
  let ports: { http: number; https: number; metrics: number; ssh: number };
  let aliceKey: { privateFile: string; publicLine: string };
  let tls: { key: string; certificate: string };
  let marker: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-ansible-roles-'));
    root = await startDebianRoot();
    ports = {
      http: await freePort(),
      https: await freePort(),
      metrics: await freePort(),
      ssh: await freePort(),
    };
    await run('ssh-keygen', [
      '-q',
      '-t',
      'ed25519',
      '-N',
      '',
      '-C',
      'alice@example.test',
      '-f',
      join(work, 'alice'),
    ]);
    aliceKey = {
      privateFile: join(work, 'alice'),
      publicLine: (await readFile(join(work, 'alice.pub'), 'utf8')).trim(),
    };
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(work, 'tls.key'),
      '-out',
      join(work, 'tls.crt'),
      '-days',
      '1',
      '-subj',
      '/CN=secure.example.test',
      '-addext',
      'subjectAltName=DNS:secure.example.test',
    ]);
    tls = {
      key: await readFile(join(work, 'tls.key'), 'utf8'),
      certificate: await readFile(join(work, 'tls.crt'), 'utf8'),
    };
    // Absolute, so the same path is checked on this machine and inside the root.
    marker = join('/tmp', uniqueName('berth-pwned'));
  });

  afterAll(async () => {
    await root?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** The site of the first run: two users, a group, two virtual hosts, hostile text. */
  function fullSite(): SiteVars {
    return aSite({
      site: {
        id: 'site-1',
        name: `Shop ${hostileText(marker)}`,
        description: `About: ${hostileText(marker)}`,
      },
      users: [
        aUser('alice', {
          name: `Alice ${hostileText(marker)}`,
          admin: true,
          ssh_keys: [aliceKey.publicLine],
        }),
        aUser('bob'),
      ],
      unix_groups: [{ name: 'editors', members: ['alice', 'bob'] }],
      vhosts: [
        aVhost('shop', { aliases: ['www.shop.example.test'], web_root: '/var/www/shop/public' }),
        aVhost('secure', { tls: true }),
      ],
      packages: ['less'],
    });
  }

  function secrets(): SiteSecrets {
    return {
      berth_secrets: {
        mysql_root_password: mysqlRootPassword,
        tls: { secure: { key: tls.key, certificate: tls.certificate, chain: '' } },
      },
    };
  }

  /**
   * Runs site.yml on the root as the runner does: JSON files, `-e @file`, one inventory host.
   * The strings are plain JSON, not `__ansible_unsafe`-marked: the roles must be safe without it.
   */
  async function runPlaybook(vars: SiteVars): Promise<PlaybookRun> {
    const files = await mkdtemp(join(work, 'run-'));
    await writeFile(join(files, 'vars.json'), JSON.stringify(vars));
    await writeFile(join(files, 'secrets.json'), JSON.stringify(secrets()), { mode: 0o600 });
    const hostVars = {
      ansible_connection: 'community.general.chroot',
      ansible_host: root.dir,
      web_http_listen: `127.0.0.1:${ports.http}`,
      web_https_listen: `127.0.0.1:${ports.https}`,
      metrics_listen_address: `127.0.0.1:${ports.metrics}`,
      access_sshd_listen_addresses: [`127.0.0.1:${ports.ssh}`],
      mysql_skip_networking: true,
      // The root's package lists are as old as the cached root; the packages are all in it.
      common_apt_cache_valid_time: 10 * 365 * 24 * 3600,
    };
    await writeFile(
      join(files, 'inventory.json'),
      JSON.stringify({ all: { hosts: { [hostname]: hostVars } } }),
    );
    const args = [
      '-i',
      join(files, 'inventory.json'),
      '-e',
      `@${join(files, 'vars.json')}`,
      '-e',
      `@${join(files, 'secrets.json')}`,
      join(ansibleDir, 'site.yml'),
    ];
    const env = {
      ...process.env,
      ANSIBLE_CONFIG: join(ansibleDir, 'ansible.cfg'),
      ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json',
      ANSIBLE_NOCOLOR: '1',
    };
    const outcome = await run(join(venvBin, 'ansible-playbook'), args, {
      env,
      cwd: files,
      timeout: playbookTimeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      ({ stdout, stderr }) => ({ exitCode: 0, stdout, stderr }),
      (error: { code?: number | string; stdout?: string; stderr?: string }) => ({
        exitCode: typeof error.code === 'number' ? error.code : -1,
        stdout: error.stdout ?? '',
        stderr: `${error.stderr ?? ''}\n${String(error.code)}`,
      }),
    );
    let output: JsonCallbackOutput;
    try {
      output = JSON.parse(outcome.stdout) as JsonCallbackOutput;
    } catch {
      throw new Error(
        `ansible-playbook printed no JSON (exit ${outcome.exitCode}):\n${outcome.stderr}`,
      );
    }
    const tasks = output.plays.flatMap((play) => play.tasks);
    return {
      exitCode: outcome.exitCode,
      changed: output.stats[hostname]?.changed ?? -1,
      changedTasks: tasks
        .filter((task) => task.hosts[hostname]?.changed)
        .map((task) => task.task.name),
      failures: tasks
        .filter((task) => task.hosts[hostname]?.failed)
        .map((task) => `${task.task.name}: ${failureMessages(task.hosts[hostname]).join('; ')}`),
      stderr: outcome.stderr,
    };
  }

  function expectSuccess(result: PlaybookRun): void {
    expect(result.failures, result.stderr).toEqual([]);
    expect(result.exitCode, result.stderr).toBe(0);
  }

  /** A command inside the root, as root or as another of its users. */
  async function inRoot(command: string[], user?: string): Promise<string> {
    const userspec = user ? [`--userspec=${user}`] : [];
    const { stdout } = await run('chroot', [...userspec, root.dir, ...command], {
      timeout: 30_000,
    });
    return stdout;
  }

  function onDisk(path: string): Promise<string> {
    return readFile(join(root.dir, path), 'utf8');
  }

  async function mariadbLogin(password: string): Promise<boolean> {
    // As an ordinary user: root's unix_socket login would let the system's root in without one.
    return inRoot(['mariadb', '-uroot', `-p${password}`, '-e', 'SELECT 1'], 'nobody:nogroup').then(
      () => true,
      () => false,
    );
  }

  describe('on a first run', () => {
    beforeAll(async () => {
      expectSuccess(await runPlaybook(fullSite()));
      // The site's content, as its administrators would deploy it.
      await writeFile(join(root.dir, 'var/www/shop/public/index.html'), 'the shop\n');
      await writeFile(join(root.dir, 'var/www/secure/index.html'), 'the secure site\n');
    }, playbookTimeoutMs + 30_000);

    it('writes a virtual host file per vhost with its names and web root', async () => {
      const shop = await onDisk('etc/apache2/sites-enabled/berth-shop.conf');
      expect(shop).toContain('ServerName shop.example.test\n');
      expect(shop).toContain('ServerAlias www.shop.example.test\n');
      expect(shop).toContain('DocumentRoot "/var/www/shop/public"');
      const secure = await onDisk('etc/apache2/sites-enabled/berth-secure.conf');
      expect(secure).toContain('ServerName secure.example.test\n');
      expect(secure).toContain('SSLEngine on');
      expect(await onDisk('etc/ssl/berth/secure.pem')).toBe(tls.certificate);
      expect((await stat(join(root.dir, 'etc/ssl/berth/secure.key'))).mode & 0o777).toBe(0o600);
      expect((await stat(join(root.dir, 'etc/ssl/berth/secure.pem'))).mode & 0o777).toBe(0o600);
      expect(existsSync(join(root.dir, 'etc/apache2/sites-enabled/000-default.conf'))).toBe(false);
    });

    it("serves each vhost's web root for its names, over TLS where it has a certificate", async () => {
      expect(await get(ports.http, 'www.shop.example.test')).toEqual({
        status: 200,
        body: 'the shop\n',
      });
      expect((await get(ports.http, 'unknown.example.test')).status).toBe(403);
      const redirect = await get(ports.http, 'secure.example.test');
      expect(redirect.status).toBe(301);
      expect(redirect.location).toBe(`https://secure.example.test:${ports.https}/`);
      expect(await getTls(ports.https, 'secure.example.test', tls.certificate)).toEqual({
        status: 200,
        body: 'the secure site\n',
      });
    });

    it('creates the users, their unix groups and the administrators group', async () => {
      const passwd = await onDisk('etc/passwd');
      expect(passwd).toMatch(/^alice:x:\d+:\d+:[^\n]*:\/home\/alice:\/bin\/bash$/m);
      expect(passwd).toMatch(/^bob:x:\d+:\d+:User bob:\/home\/bob:\/bin\/bash$/m);
      const group = await onDisk('etc/group');
      expect(group).toMatch(/^editors:x:\d+:alice,bob$/m);
      expect(group).toMatch(/^site-admins:x:\d+:alice$/m);
    });

    it("authorizes exactly each user's keys, in files only the user can read", async () => {
      expect(await onDisk('home/alice/.ssh/authorized_keys')).toBe(`${aliceKey.publicLine}\n`);
      expect(await onDisk('home/bob/.ssh/authorized_keys')).toBe('');
      const alice = await statInRoot('home/alice/.ssh/authorized_keys');
      const aliceUid = Number(/^alice:x:(\d+):/m.exec(await onDisk('etc/passwd'))?.[1]);
      expect(alice.uid).toBe(aliceUid);
      expect(alice.mode & 0o777).toBe(0o600);
      expect((await statInRoot('home/alice/.ssh')).mode & 0o777).toBe(0o700);
    });

    it('lets a user log in over SSH with a key, and root not at all', async () => {
      const effective = await inRoot(['/usr/sbin/sshd', '-T']);
      expect(effective).toMatch(/^passwordauthentication no$/m);
      expect(effective).toMatch(/^kbdinteractiveauthentication no$/m);
      expect(effective).toMatch(/^permitrootlogin no$/m);
      expect(effective).toContain(`listenaddress 127.0.0.1:${ports.ssh}`);
      await chmod(aliceKey.privateFile, 0o600);
      const { stdout } = await run(
        'ssh',
        [
          '-i',
          aliceKey.privateFile,
          '-p',
          String(ports.ssh),
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'ConnectTimeout=10',
          'alice@127.0.0.1',
          'id',
          '-nG',
        ],
        { timeout: 30_000 },
      );
      expect(stdout.trim().split(' ').sort()).toEqual(['alice', 'editors', 'site-admins']);
    });

    it('gives sudo to the administrators only', async () => {
      const sudoers = await onDisk('etc/sudoers.d/berth-site-admins');
      expect(sudoers).toMatch(/^alice ALL=\(ALL:ALL\) NOPASSWD: ALL$/m);
      expect(sudoers).not.toContain('bob');
      await inRoot(['/usr/sbin/visudo', '-c']);
    });

    it("sets MariaDB's root password to the site's", async () => {
      expect(await mariadbLogin(mysqlRootPassword)).toBe(true);
      expect(await mariadbLogin('not-the-password')).toBe(false);
    });

    it('installs a backup hook that dumps the databases, and runs it nightly', async () => {
      expect(await onDisk('etc/cron.d/berth-backup')).toMatch(
        /^\d+ \d+ \* \* \* root \/usr\/local\/sbin\/berth-backup-hook$/m,
      );
      await inRoot(['/usr/local/sbin/berth-backup-hook']);
      expect((await statInRoot('var/backups/berth/mariadb.sql.gz')).size).toBeGreaterThan(0);
      expect(await onDisk('var/backups/berth/paths')).toContain('/var/www\n');
    });

    it('runs the node exporter on its configured address', async () => {
      expect(await onDisk('etc/default/prometheus-node-exporter')).toContain(
        `--web.listen-address=127.0.0.1:${ports.metrics}`,
      );
      const metrics = await get(ports.metrics, 'localhost', '/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.body).toMatch(/^node_uname_info\{/m);
    });

    it("installs the site's packages and turns on security upgrades", async () => {
      await inRoot(['dpkg-query', '-W', 'less']);
      expect(await onDisk('etc/apt/apt.conf.d/20auto-upgrades')).toContain(
        'APT::Periodic::Unattended-Upgrade "1";',
      );
    });

    it('keeps hostile text inert: written literally, never run', async () => {
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(join(root.dir, marker))).toBe(false);
      const motd = await onDisk('etc/motd');
      expect(motd).toContain(`"Shop ${hostileText(marker)}"`);
      expect(motd).toContain(`About: ${hostileText(marker)}\n`);
      expect(await onDisk('etc/passwd')).toContain(`alice:x:`);
      expect(await onDisk('etc/passwd')).toContain(`:Alice ${hostileText(marker)}:/home/alice:`);
    });
  });

  describe('on a second identical run', () => {
    it(
      'changes nothing',
      async () => {
        const result = await runPlaybook(fullSite());
        expectSuccess(result);
        expect(result.changedTasks).toEqual([]);
        expect(result.changed).toBe(0);
      },
      playbookTimeoutMs,
    );
  });

  describe('on a run without a user, a group and a vhost', () => {
    beforeAll(async () => {
      const site = fullSite();
      site.berth.users = site.berth.users.filter((user) => user.uid !== 'bob');
      site.berth.unix_groups = [];
      site.berth.vhosts = site.berth.vhosts.filter((vhost) => vhost.name !== 'shop');
      expectSuccess(await runPlaybook(site));
    }, playbookTimeoutMs + 30_000);

    it('removes the user and the group, and keeps the others', async () => {
      const passwd = await onDisk('etc/passwd');
      expect(passwd).not.toMatch(/^bob:/m);
      expect(passwd).toMatch(/^alice:/m);
      const group = await onDisk('etc/group');
      expect(group).not.toMatch(/^editors:/m);
      expect(group).toMatch(/^site-admins:x:\d+:alice$/m);
    });

    it('removes the virtual host, which Apache no longer serves', async () => {
      expect(existsSync(join(root.dir, 'etc/apache2/sites-enabled/berth-shop.conf'))).toBe(false);
      expect(existsSync(join(root.dir, 'etc/apache2/sites-available/berth-shop.conf'))).toBe(false);
      expect((await get(ports.http, 'www.shop.example.test')).status).toBe(403);
      expect((await get(ports.http, 'secure.example.test')).status).toBe(301);
    });
  });

  describe("with a user named like one of the server's own accounts", () => {
    it(
      'refuses it before changing the account',
      async () => {
        const passwdBefore = await onDisk('etc/passwd');
        const site = fullSite();
        site.berth.users = [aUser('www-data', { ssh_keys: [aliceKey.publicLine] })];
        site.berth.unix_groups = [];
        const result = await runPlaybook(site);
        expect(result.exitCode).not.toBe(0);
        expect(result.failures.join('\n')).toContain(
          'www-data is already an account on this server',
        );
        expect(result.changedTasks).toEqual([]);
        expect(await onDisk('etc/passwd')).toBe(passwdBefore);
      },
      playbookTimeoutMs,
    );
  });

  describe('with a vhost name it must not use', () => {
    it(
      'refuses the data before changing anything',
      async () => {
        const site = fullSite();
        site.berth.vhosts = [aVhost('../../etc', { web_root: '/var/www/../../etc' })];
        // Whatever earlier tests in this file left configured stays (or nothing, run alone).
        const sites = () => readdir(join(root.dir, 'etc/apache2/sites-available')).catch(() => []);
        const before = await sites();
        const result = await runPlaybook(site);
        expect(result.exitCode).not.toBe(0);
        expect(result.failures.join('\n')).toContain("A virtual host's name");
        expect(result.changedTasks).toEqual([]);
        expect(await sites()).toEqual(before);
      },
      playbookTimeoutMs,
    );

    it(
      "refuses html, which would take Debian's own /var/www/html",
      async () => {
        const site = fullSite();
        site.berth.vhosts = [aVhost('html')];
        const result = await runPlaybook(site);
        expect(result.exitCode).not.toBe(0);
        expect(result.failures.join('\n')).toContain("A virtual host's name");
        expect(result.changedTasks).toEqual([]);
      },
      playbookTimeoutMs,
    );
  });

  async function statInRoot(path: string) {
    return stat(join(root.dir, path));
  }
});

describe('ansible/ roles', () => {
  /** Keys whose string values are Jinja expressions without {{ }}. */
  const expressionKeys = new Set(['when', 'that', 'failed_when', 'changed_when', 'until']);

  /** The Jinja expressions in a YAML file's values, or in a template's text. */
  function expressionsIn(file: string, text: string): string[] {
    const blocks = (value: string) =>
      [...value.matchAll(/\{\{(.*?)\}\}|\{%(.*?)%\}/gs)].map((m) => m[1] ?? m[2] ?? '');
    if (!/\.ya?ml$/.test(file)) return blocks(text);
    const found: string[] = [];
    const walk = (value: unknown, key?: string): void => {
      if (typeof value === 'string')
        found.push(...(key && expressionKeys.has(key) ? [value] : blocks(value)));
      else if (Array.isArray(value)) value.forEach((item) => walk(item, key));
      else if (value && typeof value === 'object') {
        for (const [name, item] of Object.entries(value)) walk(item, name);
      }
    };
    walk(parseYaml(text));
    return found;
  }

  it("read the run's data only through the inert copies, never berth or berth_secrets", async () => {
    const files = (await readdir(join(ansibleDir, 'roles'), { recursive: true }))
      .filter((file) => /\.(ya?ml|j2)$/.test(file))
      .map((file) => join(ansibleDir, 'roles', file));
    expect(files.length).toBeGreaterThan(10);
    const readers: string[] = [];
    for (const file of files) {
      for (const expression of expressionsIn(file, await readFile(file, 'utf8'))) {
        // The variable, not text such as 'berth-' or /var/lib/berth/ inside a string.
        if (/(?<![\w.'"/-])berth(_secrets)?(?![\w'"-])/.test(expression)) {
          readers.push(`${file}: ${expression.trim()}`);
        }
      }
    }
    expect(readers).toEqual([]);
  });
});

describe.skipIf(ansibleUnavailable())('ansible-lint', () => {
  it('finds nothing in ansible/ with the production profile', async () => {
    const { stdout, stderr } = await run(join(venvBin, 'ansible-lint'), ['--nocolor'], {
      cwd: ansibleDir,
      env: { ...process.env, PATH: `${venvBin}:${process.env.PATH ?? ''}` },
      timeout: 120_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`ansible-lint failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    });
    expect(`${stdout}${stderr}`).toContain("Profile 'production' was required, and it passed");
  }, 150_000);
});

/** A failed task's message and those of its failed loop items. */
function failureMessages(result: TaskResult | undefined): string[] {
  if (!result) return [];
  const own =
    result.msg === undefined
      ? []
      : [typeof result.msg === 'string' ? result.msg : JSON.stringify(result.msg)];
  return [...own, ...(result.results ?? []).filter((item) => item.failed).flatMap(failureMessages)];
}

interface Reply {
  status: number;
  body: string;
  location?: string;
}

/** GET from 127.0.0.1:<port> with a Host header (which fetch does not let one set). */
function get(port: number, host: string, path = '/'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path, headers: { host }, timeout: 10_000 },
      (response) => collect(response, resolve, reject),
    );
    request.on('timeout', () =>
      request.destroy(new Error(`GET http://${host}:${port}${path} timed out`)),
    );
    request.on('error', reject);
    request.end();
  });
}

/** GET over TLS with SNI for `host`, trusting only `ca`. */
function getTls(port: number, host: string, ca: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        servername: host,
        ca,
        headers: { host },
        timeout: 10_000,
      },
      (response) => collect(response, resolve, reject),
    );
    request.on('timeout', () =>
      request.destroy(new Error(`GET https://${host}:${port}/ timed out`)),
    );
    request.on('error', reject);
    request.end();
  });
}

function collect(
  response: IncomingMessage,
  resolve: (reply: Reply) => void,
  reject: (error: Error) => void,
): void {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('error', reject);
  response.on('end', () =>
    resolve({
      status: response.statusCode ?? 0,
      body: Buffer.concat(chunks).toString('utf8'),
      ...(response.headers.location ? { location: response.headers.location } : {}),
    }),
  );
}
