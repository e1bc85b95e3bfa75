import { connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPg } from '../../helpers/pg-client';
import { type PostgresServer, postgresUnavailable, startPostgres } from '../../helpers/postgres';

describe.skipIf(postgresUnavailable())(startPostgres.name, () => {
  let server: PostgresServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  it('serves a berth database on 127.0.0.1 until stopped', async () => {
    server = await startPostgres();
    const url = new URL(server.url);
    expect(url.hostname).toBe('127.0.0.1');

    const client = await connectPg(server.url);
    try {
      const { rows } = await client.query<{ version: string; database: string; role: string }>(
        'select version() as version, current_database() as database, current_user as role',
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ database: 'berth', role: 'berth' });
      expect(rows[0]?.version).toMatch(/^PostgreSQL \d+/);
    } finally {
      await client.end();
    }

    await server.stop();
    await expect(acceptsConnections(Number(url.port))).resolves.toBe(false);
  });
});

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 5_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error(`connecting to 127.0.0.1:${port} neither succeeded nor failed in 5 s`));
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      error.code === 'ECONNREFUSED' ? resolve(false) : reject(error),
    );
  });
}
