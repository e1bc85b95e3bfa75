import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { type BerthConfig } from '../config';
import { type Orm, forkEm } from '../db/orm';
import { AddressPool } from '../domain/address-pool.entity';
import { type AddressFamily, addressAt, parseCidr } from './addresses';
import { checkPoolDefinition } from './pools';

/**
 * Gives each address family a pool when it has none: `default-ipv4` and `default-ipv6` from
 * BERTH_IPV4_POOL and BERTH_IPV6_POOL, the network's first address as gateway. Runs with the
 * migrations, so a new deployment can build servers at once; after that, pools are the operators'.
 * Returns the names of the pools it made.
 */
export async function ensureDefaultPools(
  orm: Orm,
  network: Pick<BerthConfig['network'], 'ipv4Pool' | 'ipv6Pool'>,
): Promise<string[]> {
  const made: string[] = [];
  const wanted: [AddressFamily, string][] = [
    ['ipv4', network.ipv4Pool],
    ['ipv6', network.ipv6Pool],
  ];
  for (const [family, text] of wanted) {
    const em = forkEm(orm);
    if ((await em.count(AddressPool, { family })) > 0) continue;
    const cidr = parseCidr(text);
    if (typeof cidr === 'string') throw new Error(`${text} is not a network (${cidr})`);
    const checked = checkPoolDefinition({
      name: `default-${family}`,
      cidr: text,
      gateway: addressAt(cidr, 1),
      reserved: [],
    });
    if (Array.isArray(checked)) {
      throw new Error(`${text}: ${checked.map((problem) => problem.message).join('; ')}`);
    }
    try {
      await em.persistAndFlush(
        new AddressPool({ id: `default-${family}`, ...checked, priority: 100, enabled: true }),
      );
      made.push(checked.name);
    } catch (error) {
      // The api and the worker of a new deployment may both get here; one pool is made.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
    }
  }
  return made;
}
