import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { serverUnavailable } from './require-server';

/**
 * Debian packages and APT repositories made on this machine, for tests that must not reach the
 * Debian mirrors: a package built with dpkg-deb, a repository of `dists/<suite>/...` folders with
 * Packages and Release files written here, served to APT as a `file:` URI and marked
 * `Trusted: yes` (nothing signs it).
 */

const run = promisify(execFile);

/** Why packages cannot be built here (see serverUnavailable), or undefined when they can. */
export function aptRepositoryUnavailable(): string | undefined {
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && isFileSync(join(dir, 'dpkg-deb')));
  return onPath ? undefined : serverUnavailable('APT repository', 'dpkg-deb is not on PATH');
}

export interface TestPackage {
  name: string;
  version: string;
  /** Files the package installs, by absolute path. */
  files?: Record<string, string>;
}

/** Builds `<name>_<version>_all.deb` in `dir` (files owned by root) and returns its path. */
export async function buildDeb(dir: string, pkg: TestPackage): Promise<string> {
  const tree = await mkdtemp(join(dir, `${pkg.name}-tree-`));
  try {
    await mkdir(join(tree, 'DEBIAN'));
    await writeFile(
      join(tree, 'DEBIAN', 'control'),
      [
        `Package: ${pkg.name}`,
        `Version: ${pkg.version}`,
        'Architecture: all',
        'Maintainer: Berth tests <tests@berth.invalid>',
        'Section: misc',
        'Priority: optional',
        `Description: ${pkg.name}, made by Berth's tests`,
        '',
      ].join('\n'),
    );
    for (const [path, content] of Object.entries(pkg.files ?? {})) {
      await mkdir(join(tree, path, '..'), { recursive: true });
      await writeFile(join(tree, path), content);
    }
    // dpkg-deb wants the control folder between 0755 and 0775; mkdtemp made it 0700.
    await run('chmod', ['-R', 'u=rwX,go=rX', tree]);
    const deb = join(dir, `${pkg.name}_${pkg.version}_all.deb`);
    await run('dpkg-deb', ['--root-owner-group', '--build', tree, deb]);
    return deb;
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

/**
 * Writes a repository into `dir` (made if missing): for each suite, `dists/<suite>/main/binary-
 * amd64/Packages` listing its packages (an empty list is a valid suite) and a Release file with
 * the list's SHA-256, the packages themselves in `pool/`. Everything is world-readable, so APT's
 * unprivileged `_apt` user can read it.
 */
export async function writeAptRepository(
  dir: string,
  suites: Record<string, string[]>,
): Promise<void> {
  await mkdir(join(dir, 'pool'), { recursive: true });
  for (const [suite, debs] of Object.entries(suites)) {
    const stanzas: string[] = [];
    for (const deb of debs) {
      const filename = `pool/${basename(deb)}`;
      await copyFile(deb, join(dir, filename));
      const bytes = await readFile(deb);
      // The package's control fields, then where it is and what it weighs, as
      // dpkg-scanpackages writes them.
      const { stdout: control } = await run('dpkg-deb', ['--field', deb]);
      stanzas.push(
        `${control.trimEnd()}\nFilename: ${filename}\nSize: ${bytes.length}\nSHA256: ${sha256(bytes)}\n`,
      );
    }
    const index = 'main/binary-amd64/Packages';
    const packages = stanzas.join('\n');
    await mkdir(join(dir, 'dists', suite, 'main', 'binary-amd64'), { recursive: true });
    await writeFile(join(dir, 'dists', suite, index), packages);
    await writeFile(
      join(dir, 'dists', suite, 'Release'),
      [
        'Origin: Berth tests',
        `Suite: ${suite}`,
        `Codename: ${suite}`,
        // APT refuses a Release file dated in the future; an hour back leaves room for skew.
        `Date: ${new Date(Date.now() - 3_600_000).toUTCString().replace('GMT', 'UTC')}`,
        'Architectures: amd64 all',
        'Components: main',
        'SHA256:',
        ` ${sha256(Buffer.from(packages))} ${Buffer.byteLength(packages)} ${index}`,
        '',
      ].join('\n'),
    );
  }
  await run('chmod', ['-R', 'a+rX', dir]);
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isFileSync(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
