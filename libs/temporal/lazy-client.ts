import { Client, Connection } from '@temporalio/client';
import { type BerthConfig } from '../config';
import { berthDataConverter } from './data-converter';

/** Where activities get the worker's Temporal client. */
export interface TemporalClientSource {
  get(): Promise<Client>;
}

/**
 * A Temporal client of the worker's own configuration (its payload codec included), for
 * activities that start or update other workflows; connected on first use, closed with the
 * activities.
 */
export function lazyTemporalClient(config: BerthConfig): TemporalClientSource & {
  close(): Promise<void>;
} {
  let client: Promise<Client> | undefined;
  return {
    get() {
      client ??= Connection.connect({ address: config.temporal.address }).then(
        (connection) =>
          new Client({
            connection,
            namespace: config.temporal.namespace,
            dataConverter: berthDataConverter(config),
          }),
        (error: unknown) => {
          // Not kept: the next call connects again (a Temporal server restarting, say).
          client = undefined;
          throw error;
        },
      );
      return client;
    },
    async close() {
      const made = client;
      client = undefined;
      if (made) await (await made).connection.close();
    },
  };
}
