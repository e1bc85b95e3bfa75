import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forkEm, migrate, openOrm, type Orm } from '../../../libs/db/orm';
import { Site } from '../../../libs/domain';

/**
 * The embedded profile's api and worker are two processes on one SQLite file: a write while the
 * other process holds the write lock must wait for it, not fail with "database is locked". (The
 * other writer must be another process: libsql waits synchronously, so a lock held in this
 * process could never be released while this process waits.)
 */
describe('two writers on one SQLite file', () => {
  const folder = mkdtempSync(join(tmpdir(), 'berth-writers-'));
  const database = { driver: 'sqlite' as const, path: join(folder, 'berth.sqlite') };
  let orm: Orm;

  beforeAll(async () => {
    orm = await openOrm(database);
    await migrate(orm);
  });
  afterAll(async () => {
    await orm?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  /** Another process that takes the write lock, says so, and releases it after `ms`. */
  function holdWriteLock(ms: number): Promise<{ released: Promise<void> }> {
    const script = `
      const Database = require('libsql');
      const db = new Database(process.argv[1]);
      db.exec('begin immediate');
      db.exec("insert into site (id, name, description, owner, contact_email, status, created_at, updated_at) values ('first', 'first', '', 'alice', 'a@example.org', 'ready', 0, 0)");
      process.stdout.write('locked\\n');
      setTimeout(() => { db.exec('commit'); db.close(); }, Number(process.argv[2]));
    `;
    const child = spawn(process.execPath, ['-e', script, database.path, String(ms)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const released = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      child.stdout.once('data', () => resolve({ released }));
      child.once('error', reject);
    });
  }

  function aSite(name: string): Site {
    return new Site({
      id: name,
      name,
      description: '',
      owner: 'alice',
      contactEmail: 'a@example.org',
    });
  }

  it('makes a writer wait for another process that holds the lock, instead of failing', async () => {
    const { released } = await holdWriteLock(800);
    const started = Date.now();
    await forkEm(orm).persistAndFlush(aSite('second'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    await released;
    expect(await forkEm(orm).count(Site, {})).toBe(2);
  });
});
