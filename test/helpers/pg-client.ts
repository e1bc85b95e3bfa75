import { Client } from 'pg';

/** Opens a node-postgres connection; the caller ends it. */
export async function connectPg(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  return client;
}
