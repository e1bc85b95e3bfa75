import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type VsphereSettings } from '../../activities/hypervisor/vsphere/vsphere-hypervisor';
import { freePort } from './free-port';
import { serverUnavailable } from './require-server';

const run = promisify(execFile);
const toolsBin = join(__dirname, '../../tools/go/bin');
export const vcsimBinary = join(toolsBin, 'vcsim');
export const govcBinary = join(toolsBin, 'govc');

/** The template every test clones: a small powered-off VM with one NIC and one disk. */
export const templateName = 'berth-template';

export interface Vcsim {
  /** `https://127.0.0.1:<port>/sdk` */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** PEM of the certificate authority that signed vcsim's certificate. */
  readonly caPem: string;
  /** A PEM file of the same, for tools that read a path. */
  readonly caFile: string;
  /** Runs govc against this simulator (verifying its certificate) and returns stdout. */
  govc(...args: string[]): Promise<string>;
  /** Stops the simulator and deletes its folder; safe to call twice. */
  stop(): Promise<void>;
}

/** The vsphere adapter's settings for this simulator (its datacenter, cluster and template). */
export function vsphereSettings(vcsim: Vcsim): VsphereSettings {
  return {
    url: vcsim.url,
    username: vcsim.username,
    password: vcsim.password,
    caPem: vcsim.caPem,
    datacenter: 'DC0',
    cluster: 'DC0_C0',
    template: templateName,
    ipv4PrefixLength: 24,
  };
}

/** The same as environment variables, for a Berth api or worker with HYPERVISOR=vsphere. */
export function vsphereEnv(vcsim: Vcsim): Record<string, string> {
  return {
    HYPERVISOR: 'vsphere',
    VSPHERE_URL: vcsim.url,
    VSPHERE_USERNAME: vcsim.username,
    VSPHERE_PASSWORD: vcsim.password,
    VSPHERE_CA_FILE: vcsim.caFile,
    VSPHERE_DATACENTER: 'DC0',
    VSPHERE_CLUSTER: 'DC0_C0',
    VSPHERE_TEMPLATE: templateName,
  };
}

/** Why vcsim tests cannot run here (see serverUnavailable), or undefined when they can. */
export function vcsimUnavailable(): string | undefined {
  if (!existsSync(vcsimBinary) || !existsSync(govcBinary)) {
    return serverUnavailable('vcsim', `no ${vcsimBinary} or govc (run scripts/setup)`);
  }
  return undefined;
}

/**
 * Starts VMware's vSphere simulator on a free loopback port, with its own certificate authority
 * (made with openssl in a temporary folder), fixed credentials, a datacenter DC0 with a cluster
 * of three hosts (DC0_C0_H0..2) and no VMs but the template `berth-template`.
 */
export async function startVcsim(
  options: {
    hostsPerCluster?: number;
    /** More vcsim flags, such as `-method-delay Login:3000` to make a call slow. */
    extraArgs?: string[];
  } = {},
): Promise<Vcsim> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-vcsim-'));
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const { caPem, caFile, certFile, keyFile } = await makeCertificates(dir);
    const port = await freePort();
    const username = 'berth';
    const password = 'vcsim-test-password';
    child = spawn(
      vcsimBinary,
      [
        '-l',
        `127.0.0.1:${port}`,
        '-tlscert',
        certFile,
        '-tlskey',
        keyFile,
        '-username',
        username,
        '-password',
        password,
        '-vm',
        '0',
        '-standalone-host',
        '0',
        '-host',
        String(options.hostsPerCluster ?? 3),
        ...(options.extraArgs ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await listening(child);
    const url = `https://127.0.0.1:${port}/sdk`;
    const govc = async (...args: string[]) => {
      const { stdout } = await run(govcBinary, args, {
        env: {
          ...process.env,
          GOVC_URL: url,
          GOVC_USERNAME: username,
          GOVC_PASSWORD: password,
          GOVC_TLS_CA_CERTS: caFile,
          GOVC_DATACENTER: 'DC0',
          // Each call logs in afresh and leaves nothing under ~/.govmomi.
          GOVC_PERSIST_SESSION: 'false',
        },
        timeout: 60_000,
      });
      return stdout;
    };
    await govc(
      'vm.create',
      '-on=false',
      '-c=1',
      '-m=1024',
      '-disk=10G',
      '-net=VM Network',
      '-host=DC0_C0_H0',
      templateName,
    );
    await govc('vm.markastemplate', templateName);
    return { url, username, password, caPem, caFile, govc, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** vcsim prints `export GOVC_URL=...` once it listens. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`vcsim did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('GOVC_URL=')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vcsim exited with ${code}: ${output}`));
    });
  });
}

/** A certificate authority and a certificate for 127.0.0.1 signed by it. */
async function makeCertificates(dir: string) {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csrFile = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const extFile = join(dir, 'server.ext');
  const openssl = (...args: string[]) => run('openssl', args, { timeout: 60_000 });
  await openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caFile,
    '-days',
    '2',
    '-subj',
    '/CN=Berth test CA for vcsim',
  );
  await openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    csrFile,
    '-subj',
    '/CN=127.0.0.1',
  );
  await writeFile(
    extFile,
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  await openssl(
    'x509',
    '-req',
    '-in',
    csrFile,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '2',
    '-extfile',
    extFile,
  );
  return { caPem: await readFile(caFile, 'utf8'), caFile, certFile, keyFile };
}
