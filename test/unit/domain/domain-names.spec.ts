import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../libs/config/config';
import {
  DomainName,
  DomainNameAlreadyDecidedError,
  isInZone,
  judgeName,
  servedNames,
} from '../../../libs/domain';

const policy = {
  organisationZones: ['example.ac.uk', 'sites.berth.test'],
  serverZone: 'sites.berth.test',
  ownHostnames: ['web-3.sites.berth.test'],
};

describe(isInZone.name, () => {
  it('takes the zone and names under it, label by label', () => {
    expect(isInZone('example.ac.uk', 'example.ac.uk')).toBe(true);
    expect(isInZone('www.dept.example.ac.uk', 'example.ac.uk')).toBe(true);
    expect(isInZone('badexample.ac.uk', 'example.ac.uk')).toBe(false);
    expect(isInZone('example.ac.uk.evil.org', 'example.ac.uk')).toBe(false);
    expect(isInZone('ac.uk', 'example.ac.uk')).toBe(false);
  });
});

describe(judgeName.name, () => {
  it.each([
    ['www.example.ac.uk', { status: 'approved' }],
    ['example.ac.uk', { status: 'approved' }],
    ['blog.web-3.sites.berth.test', { status: 'approved' }],
    ['www.charity.org', { status: 'pending' }],
    ['example.ac.uk.charity.org', { status: 'pending' }],
    ['notexample.ac.uk', { status: 'pending' }],
    ['web-3.sites.berth.test', { refused: 'server-hostname' }],
    ['web-4.sites.berth.test', { refused: 'reserved' }],
    ['blog.web-4.sites.berth.test', { refused: 'reserved' }],
    ['sites.berth.test', { refused: 'reserved' }],
  ])('judges %s', (name, verdict) => {
    expect(judgeName(name, policy)).toEqual(verdict);
  });

  it('keeps the servers zone reserved even when it is not an organisation zone', () => {
    const outside = { ...policy, organisationZones: ['example.ac.uk'] };
    expect(judgeName('web-4.sites.berth.test', outside)).toEqual({ refused: 'reserved' });
    expect(judgeName('blog.web-3.sites.berth.test', outside)).toEqual({ status: 'pending' });
  });
});

describe(servedNames.name, () => {
  const vhost = { serverName: 'www.charity.org', aliases: ['charity.org', 'www.example.ac.uk'] };

  it('serves approved names only', () => {
    expect(servedNames(vhost, new Set(['www.charity.org', 'www.example.ac.uk']))).toEqual({
      serverName: 'www.charity.org',
      aliases: ['www.example.ac.uk'],
    });
  });

  it('leaves out a vhost whose server name is not approved, whatever its aliases', () => {
    expect(servedNames(vhost, new Set(['charity.org', 'www.example.ac.uk']))).toBeUndefined();
  });

  it('does not list the server name among the aliases', () => {
    const doubled = { serverName: 'a.example.ac.uk', aliases: ['a.example.ac.uk'] };
    expect(servedNames(doubled, new Set(['a.example.ac.uk']))).toEqual({
      serverName: 'a.example.ac.uk',
      aliases: [],
    });
  });
});

describe(DomainName.name, () => {
  const pending = () =>
    new DomainName({
      id: 'd1',
      siteId: 's1',
      vhostId: 'v1',
      name: 'www.charity.org',
      status: 'pending',
      requestedBy: 'alice',
    });

  it('starts an approved name decided by the system, a pending one undecided', () => {
    expect(pending()).toMatchObject({ decidedBy: null, decidedAt: null });
    const approved = new DomainName({
      id: 'd2',
      siteId: 's1',
      vhostId: 'v1',
      name: 'www.example.ac.uk',
      status: 'approved',
      requestedBy: 'alice',
    });
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'system' });
  });

  it('decides a pending name once, keeping a reason for a rejection only', () => {
    const name = pending();
    expect(name.decide('rejected', 'olivia', 'not theirs')).toMatchObject({
      status: 'rejected',
      decidedBy: 'olivia',
      reason: 'not theirs',
    });
    expect(() => name.decide('approved', 'olivia')).toThrow(DomainNameAlreadyDecidedError);
    expect(name.status).toBe('rejected');
    expect(pending().decide('approved', 'olivia', 'ignored')).toMatchObject({ reason: null });
  });
});

describe('BERTH_ORGANISATION_ZONES', () => {
  const base = {
    BERTH_DATA_DIR: '/srv/berth-test-data',
    BERTH_SECRET_KEY: randomBytes(32).toString('base64'),
  };

  it('defaults to the servers zone', () => {
    expect(loadConfig({ ...base, BERTH_DNS_ZONE: 'web.example.ac.uk' }).domains).toEqual({
      organisationZones: ['web.example.ac.uk'],
    });
  });

  it('takes a list of zones', () => {
    const config = loadConfig({ ...base, BERTH_ORGANISATION_ZONES: 'example.ac.uk,example.org' });
    expect(config.domains.organisationZones).toEqual(['example.ac.uk', 'example.org']);
  });

  it.each(['Example.ac.uk', 'example', 'a.example.org,', '*.example.org', 'a..b.org', ' a.org'])(
    'refuses %j',
    (zones) => {
      expect(() => loadConfig({ ...base, BERTH_ORGANISATION_ZONES: zones })).toThrow(ConfigError);
    },
  );
});
