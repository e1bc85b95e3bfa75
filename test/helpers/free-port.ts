import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listened on a moment ago. The kernel picks it; another
 * process may still take it before the caller binds, so servers started on it can fail to bind.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address, got ${String(address)}`);
  }
  return address.port;
}
