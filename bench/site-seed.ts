import { randomUUID } from 'node:crypto';
import { forkEm } from '../libs/db/orm';
import { NetworkConfig, Site } from '../libs/domain';
import { type TestDatabase } from '../test/helpers/databases';

/** Sites the list benchmarks seed, half of them with a production server's network. */
export const seededSites = 10_000;
const batchSize = 1_000;

/**
 * Writes `seededSites` READY sites, a second apart, and a network row for every other one, in
 * batches (sites-list and api-ab read them).
 */
export async function seed(db: TestDatabase): Promise<void> {
  const base = Date.now() - seededSites * 1000;
  for (let start = 0; start < seededSites; start += batchSize) {
    const sites: Site[] = [];
    const networks: NetworkConfig[] = [];
    for (let i = start; i < Math.min(seededSites, start + batchSize); i++) {
      const site = new Site({
        id: randomUUID(),
        name: `Bench site ${i}`,
        description: 'seeded by bench/sites-list.ts',
        owner: `user${i % 500}`,
        contactEmail: `user${i % 500}@example.org`,
      });
      site.moveTo('installing');
      site.moveTo('ready');
      site.createdAt = new Date(base + i * 1000);
      site.updatedAt = site.createdAt;
      sites.push(site);
      if (i % 2 === 0) {
        networks.push(
          new NetworkConfig({
            id: randomUUID(),
            vmId: randomUUID(),
            siteId: site.id,
            hostNumber: i,
            hostname: `web-${i}.sites.berth.test`,
            ipv4PoolId: 'bench-ipv4',
            ipv4Offset: i,
            ipv4: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
            ipv6PoolId: 'bench-ipv6',
            ipv6Offset: i,
            ipv6: `2001:db8:b0::${i.toString(16)}`,
          }),
        );
      }
    }
    const em = forkEm(db.orm);
    await em.insertMany(sites);
    await em.insertMany(networks);
  }
  // As autovacuum leaves a table that has settled: statistics gathered and every page marked
  // visible (so a count can read the index alone). Left to autovacuum, that would happen at some
  // minute of the run, changing the database under one endpoint's round and not the other's.
  if (db.database.driver === 'postgresql') {
    await forkEm(db.orm).getConnection().execute('vacuum analyze site, network_config');
  } else {
    await forkEm(db.orm).getConnection().execute('analyze');
  }
}
