import { type AddressPool, type ReservedRange } from '../domain/address-pool.entity';
import {
  type AddressFamily,
  type Cidr,
  contains,
  formatAddress,
  formatCidr,
  lastAddress,
  offsetOf,
  overlaps,
  parseAddress,
  parseCidr,
  reverseZone,
  usableOffsets,
} from './addresses';

/** Offsets first to last inclusive. */
export interface OffsetRange {
  first: number;
  last: number;
}

/** A pool as allocation sees it: its network, the offsets it may hand out, and those it keeps. */
export interface PoolLayout {
  cidr: Cidr;
  usable: OffsetRange;
  /** Sorted, merged, within `usable`: the gateway and the operator's reserved ranges. */
  kept: OffsetRange[];
  /** How many addresses the pool can hand out at most. */
  capacity: number;
}

/** Operators keep a few ranges, not thousands; a long list is a mistake or an attack. */
export const maxReservedRanges = 64;

export function poolLayout(pool: Pick<AddressPool, 'cidr' | 'gateway' | 'reserved'>): PoolLayout {
  const cidr = parseCidr(pool.cidr);
  if (typeof cidr === 'string') throw new Error(`pool CIDR ${pool.cidr} is not valid (${cidr})`);
  const usable = usableOffsets(cidr);
  const ranges: OffsetRange[] = pool.reserved.map((range) => ({
    first: offsetOf(cidr, parseAddress(range.first)!.value),
    last: offsetOf(cidr, parseAddress(range.last)!.value),
  }));
  if (pool.gateway !== null) {
    const gateway = offsetOf(cidr, parseAddress(pool.gateway)!.value);
    ranges.push({ first: gateway, last: gateway });
  }
  const kept = mergeRanges(
    ranges
      .map((r) => ({ first: Math.max(r.first, usable.first), last: Math.min(r.last, usable.last) }))
      .filter((r) => r.first <= r.last),
  );
  const keptCount = kept.reduce((sum, r) => sum + (r.last - r.first + 1), 0);
  const capacity = Math.max(0, usable.last - usable.first + 1 - keptCount);
  return { cidr, usable, kept, capacity };
}

function mergeRanges(ranges: OffsetRange[]): OffsetRange[] {
  const sorted = [...ranges].sort((a, b) => a.first - b.first);
  const merged: OffsetRange[] = [];
  for (const range of sorted) {
    const last = merged.at(-1);
    if (last && range.first <= last.last + 1) last.last = Math.max(last.last, range.last);
    else merged.push({ ...range });
  }
  return merged;
}

/** The first offset at or after `offset` that the pool does not keep back. */
export function skipKept(layout: PoolLayout, offset: number): number {
  let candidate = Math.max(offset, layout.usable.first);
  for (const range of layout.kept) {
    if (candidate < range.first) break;
    if (candidate <= range.last) candidate = range.last + 1;
  }
  return candidate;
}

/** What an operator asks for when creating a pool, as typed. */
export interface PoolDefinition {
  name: string;
  cidr: string;
  gateway: string | null;
  reserved: ReservedRange[];
}

export interface PoolProblem {
  field: string;
  message: string;
}

/** A definition made canonical: addresses in RFC 5952 text, its family and reverse zone known. */
export interface CheckedPool {
  name: string;
  family: AddressFamily;
  cidr: string;
  gateway: string | null;
  reserved: ReservedRange[];
  reverseZone: string;
}

/**
 * Checks a pool definition on its own (overlaps with other pools and addresses in use need the
 * database): the CIDR, the gateway and every reserved range must be plain addresses of one family
 * inside the network, and the pool must have an address left to hand out.
 */
export function checkPoolDefinition(definition: PoolDefinition): CheckedPool | PoolProblem[] {
  const cidr = parseCidr(definition.cidr);
  if (cidr === 'syntax') {
    return [{ field: 'cidr', message: 'must be a network in CIDR notation, like 192.0.2.0/24' }];
  }
  if (cidr === 'host-bits') {
    return [
      {
        field: 'cidr',
        message: 'host bits must be zero: give the network address (192.0.2.0/24, not .7/24)',
      },
    ];
  }
  const problems: PoolProblem[] = [];
  const inside = (text: string, field: string): bigint | undefined => {
    const address = parseAddress(text);
    if (!address) {
      problems.push({ field, message: `"${text.slice(0, 60)}" is not an IP address` });
      return undefined;
    }
    if (!contains(cidr, address.family, address.value)) {
      problems.push({ field, message: `${text} is outside ${definition.cidr}` });
      return undefined;
    }
    return address.value;
  };
  let gateway: string | null = null;
  if (definition.gateway !== null) {
    const value = inside(definition.gateway, 'gateway');
    if (value !== undefined) {
      // Compared as addresses, not offsets: usableOffsets stops at 2^53, far short of an IPv6 /64.
      if (value === cidr.base || (cidr.family === 'ipv4' && value === lastAddress(cidr))) {
        problems.push({
          field: 'gateway',
          message: 'the network or broadcast address is no gateway',
        });
      }
      gateway = formatAddress(cidr.family, value);
    }
  }
  if (definition.reserved.length > maxReservedRanges) {
    problems.push({ field: 'reserved', message: `at most ${maxReservedRanges} reserved ranges` });
  }
  const reserved: ReservedRange[] = [];
  definition.reserved.slice(0, maxReservedRanges).forEach((range, index) => {
    const first = inside(range.first, `reserved.${index}.first`);
    const last = inside(range.last, `reserved.${index}.last`);
    if (first === undefined || last === undefined) return;
    if (first > last) {
      problems.push({
        field: `reserved.${index}`,
        message: 'the first address comes after the last',
      });
      return;
    }
    reserved.push({
      first: formatAddress(cidr.family, first),
      last: formatAddress(cidr.family, last),
    });
  });
  if (problems.length > 0) return problems;
  const checked: CheckedPool = {
    name: definition.name,
    family: cidr.family,
    cidr: formatCidr(cidr),
    gateway,
    reserved,
    reverseZone: reverseZone(cidr),
  };
  if (poolLayout(checked).capacity === 0) {
    return [{ field: 'cidr', message: 'the pool has no address left to hand out' }];
  }
  return checked;
}

/** The pools among `others` whose networks overlap `cidr`. */
export function overlappingPools<P extends Pick<AddressPool, 'cidr' | 'name'>>(
  cidr: string,
  others: P[],
): P[] {
  const mine = parseCidr(cidr);
  if (typeof mine === 'string') return [];
  return others.filter((other) => {
    const theirs = parseCidr(other.cidr);
    return typeof theirs !== 'string' && overlaps(mine, theirs);
  });
}

/** Whether an offset falls in one of the ranges. */
export function inRanges(ranges: OffsetRange[], offset: number): boolean {
  return ranges.some((range) => offset >= range.first && offset <= range.last);
}
