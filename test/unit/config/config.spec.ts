import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../libs/config/config';

const secretKey = randomBytes(32).toString('base64');

/** A valid embedded-profile environment with the given variables replaced (undefined removes). */
function env(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {
    BERTH_DATA_DIR: '/srv/berth-test-data',
    BERTH_SECRET_KEY: secretKey,
  };
  const merged: NodeJS.ProcessEnv = { ...base, ...overrides };
  for (const [name, value] of Object.entries(merged)) {
    if (value === undefined) delete merged[name];
  }
  return merged;
}

/** The ConfigError that loading this environment throws; fails the test if none is thrown. */
function configError(environment: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment; expected a ConfigError');
}

function problemsNaming(error: ConfigError, name: string): string[] {
  return error.problems.filter((problem) => problem.includes(name));
}

describe(loadConfig.name, () => {
  describe('in the embedded profile', () => {
    it('keeps the SQLite database in BERTH_DATA_DIR', () => {
      const config = loadConfig(env());
      expect(config.profile).toBe('embedded');
      expect(config.dataDir).toBe('/srv/berth-test-data');
      expect(config.database).toEqual({
        driver: 'sqlite',
        path: '/srv/berth-test-data/berth.sqlite',
      });
    });

    it('resolves a relative BERTH_DATA_DIR against the working directory', () => {
      const config = loadConfig(env({ BERTH_DATA_DIR: 'some/data' }));
      expect(config.dataDir).toBe(resolve('some/data'));
      expect(config.database).toEqual({
        driver: 'sqlite',
        path: resolve('some/data/berth.sqlite'),
      });
    });

    it('talks to a dev Temporal server on 127.0.0.1:7233 when no address is set', () => {
      const config = loadConfig(env());
      expect(config.temporal.address).toBe('127.0.0.1:7233');
      expect(config.temporal.configuredAddress).toBeUndefined();
    });

    it('follows TEMPORAL_DEV_PORT for the dev server address', () => {
      expect(loadConfig(env({ TEMPORAL_DEV_PORT: '17233' })).temporal.address).toBe(
        '127.0.0.1:17233',
      );
    });

    it('uses TEMPORAL_ADDRESS when one is set', () => {
      const config = loadConfig(env({ TEMPORAL_ADDRESS: 'temporal.internal:7233' }));
      expect(config.temporal.address).toBe('temporal.internal:7233');
      expect(config.temporal.configuredAddress).toBe('temporal.internal:7233');
    });

    it('treats an empty variable as unset and applies the default', () => {
      const config = loadConfig(env({ BERTH_API_PORT: '', BERTH_LOG_LEVEL: '' }));
      expect(config.api.port).toBe(4000);
      expect(config.logLevel).toBe('info');
    });

    it('decodes the secret key into its bytes', () => {
      expect(loadConfig(env()).secretKey).toEqual(Buffer.from(secretKey, 'base64'));
    });

    it('allows the simulated adapters', () => {
      expect(loadConfig(env()).adapters).toEqual({
        hypervisor: 'simulated',
        ansible: 'simulated',
        dns: 'simulated',
        directory: 'file',
        mail: 'simulated',
      });
    });
  });

  describe('the public URL', () => {
    it('derives from the API host and port', () => {
      const config = loadConfig(env({ BERTH_API_HOST: 'berth.example', BERTH_API_PORT: '8080' }));
      expect(config.api).toMatchObject({
        host: 'berth.example',
        port: 8080,
        publicUrl: 'http://berth.example:8080',
      });
    });

    it('lets the embedded Temporal UI call the codec endpoint by default', () => {
      expect(loadConfig(env({ TEMPORAL_UI_PORT: '9233' })).api.codecCorsOrigins).toEqual([
        'http://127.0.0.1:9233',
        'http://localhost:9233',
      ]);
    });

    it('is http://127.0.0.1:4000 by default', () => {
      expect(loadConfig(env()).api.publicUrl).toBe('http://127.0.0.1:4000');
    });

    it.each([
      ['0.0.0.0', 'http://127.0.0.1:4000'],
      ['::', 'http://[::1]:4000'],
      ['::1', 'http://[::1]:4000'],
      ['2001:db8::5', 'http://[2001:db8::5]:4000'],
    ])('is reachable when the API listens on %s', (host, publicUrl) => {
      expect(loadConfig(env({ BERTH_API_HOST: host })).api.publicUrl).toBe(publicUrl);
    });

    it('takes BERTH_PUBLIC_URL as given, without trailing slashes', () => {
      const config = loadConfig(env({ BERTH_PUBLIC_URL: 'https://berth.example/base//' }));
      expect(config.api.publicUrl).toBe('https://berth.example/base');
    });

    it('refuses a BERTH_PUBLIC_URL that is not http or https', () => {
      const error = configError(env({ BERTH_PUBLIC_URL: 'ftp://berth.example' }));
      expect(problemsNaming(error, 'BERTH_PUBLIC_URL')).toHaveLength(1);
    });
  });

  describe('the edge', () => {
    it('allows no CORS origin and trusts no proxy by default, and limits rates', () => {
      const config = loadConfig(env());
      expect(config.api).toMatchObject({ corsOrigins: [], trustedProxies: [] });
      expect(config.rateLimits).toEqual({
        loginPerMinute: 20,
        authFailuresPerMinute: 30,
        tokenCreatePerHour: 20,
      });
    });

    it('reads origins, proxies, and 0 as a limit turned off', () => {
      const config = loadConfig(
        env({
          BERTH_CORS_ORIGINS: 'https://panel.example.org,http://127.0.0.1:3000',
          BERTH_TRUSTED_PROXIES: '10.0.0.5,10.1.0.0/16,2001:db8::/64',
          BERTH_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
        }),
      );
      expect(config.api.corsOrigins).toEqual([
        'https://panel.example.org',
        'http://127.0.0.1:3000',
      ]);
      expect(config.api.trustedProxies).toEqual(['10.0.0.5', '10.1.0.0/16', '2001:db8::/64']);
      expect(config.rateLimits.authFailuresPerMinute).toBe(0);
    });

    it.each([
      'https://*.example.org',
      'https://panel.example.org/',
      'https://panel.example.org/app',
      '*',
      'null',
      'panel.example.org',
      'ftp://panel.example.org',
      'https://panel.example.org,',
    ])('refuses %s as a CORS origin', (origins) => {
      const error = configError(env({ BERTH_CORS_ORIGINS: origins }));
      expect(problemsNaming(error, 'BERTH_CORS_ORIGINS')).toHaveLength(1);
    });

    it.each(['10.0.0.5/8', '10.0.0.0/33', 'proxy.example.org', '10.0.0.5, 10.0.0.6'])(
      'refuses %s as trusted proxies',
      (proxies) => {
        const error = configError(env({ BERTH_TRUSTED_PROXIES: proxies }));
        expect(problemsNaming(error, 'BERTH_TRUSTED_PROXIES')).toHaveLength(1);
      },
    );

    it('refuses a negative or fractional rate limit', () => {
      const error = configError(
        env({
          BERTH_RATE_LIMIT_LOGIN_PER_MINUTE: '-1',
          BERTH_RATE_LIMIT_TOKEN_CREATE_PER_HOUR: '1.5',
        }),
      );
      expect(problemsNaming(error, 'BERTH_RATE_LIMIT_LOGIN_PER_MINUTE')).toHaveLength(1);
      expect(problemsNaming(error, 'BERTH_RATE_LIMIT_TOKEN_CREATE_PER_HOUR')).toHaveLength(1);
    });
  });

  describe('problems', () => {
    it('lists every invalid setting in one error', () => {
      const error = configError(
        env({
          BERTH_PROFILE: 'staging',
          BERTH_API_PORT: '0',
          TEMPORAL_DEV_PORT: '65536',
          BERTH_LOG_LEVEL: 'loud',
          BERTH_IPV4_POOL: '192.0.2.0/33',
          BERTH_VM_CPUS: 'many',
          BERTH_SECRET_KEY: undefined,
        }),
      );
      const names = [
        'BERTH_PROFILE',
        'BERTH_API_PORT',
        'TEMPORAL_DEV_PORT',
        'BERTH_LOG_LEVEL',
        'BERTH_IPV4_POOL',
        'BERTH_VM_CPUS',
        'BERTH_SECRET_KEY',
      ];
      for (const name of names) {
        expect(problemsNaming(error, name), `a problem naming ${name}`).toHaveLength(1);
      }
      expect(error.problems).toHaveLength(names.length);
      for (const problem of error.problems) expect(error.message).toContain(problem);
    });

    it('reports a missing BERTH_SECRET_KEY as required', () => {
      const error = configError(env({ BERTH_SECRET_KEY: undefined }));
      expect(error.problems).toEqual(['BERTH_SECRET_KEY is required']);
    });

    it('shows the offending value of a setting that is not sensitive', () => {
      const error = configError(env({ BERTH_LOG_LEVEL: 'loud' }));
      expect(problemsNaming(error, 'BERTH_LOG_LEVEL')[0]).toContain('"loud"');
    });

    it.each([
      ['shorter than 32 bytes', randomBytes(16).toString('base64'), 'at least 32 bytes'],
      ['not base64', `${'!'.repeat(8)}${secretKey}`, 'base64'],
    ])('reports a secret key %s without echoing it', (_case, secret, reason) => {
      const error = configError(env({ BERTH_SECRET_KEY: secret }));
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toContain('BERTH_SECRET_KEY');
      expect(error.problems[0]).toContain(reason);
      expect(error.message).not.toContain(secret);
    });

    it('does not echo a malformed DATABASE_URL, which may hold a password', () => {
      const url = 'mysql://berth:hunter2-password@db.internal/berth';
      const error = configError(env({ DATABASE_URL: url }));
      expect(problemsNaming(error, 'DATABASE_URL')).toHaveLength(1);
      expect(error.message).not.toContain('hunter2-password');
    });

    it.each(['0', '65536', '-1', '80.5', 'http'])('refuses the port %s', (port) => {
      const error = configError(env({ BERTH_API_PORT: port, TEMPORAL_UI_PORT: port }));
      expect(problemsNaming(error, 'BERTH_API_PORT')).toHaveLength(1);
      expect(problemsNaming(error, 'TEMPORAL_UI_PORT')).toHaveLength(1);
    });

    it.each([
      ['BERTH_IPV4_POOL', '192.0.2.0/33'],
      ['BERTH_IPV4_POOL', '192.0.2.0'],
      ['BERTH_IPV4_POOL', '256.0.2.0/24'],
      ['BERTH_IPV4_POOL', '2001:db8::/64'],
      ['BERTH_IPV6_POOL', '2001:db8::/129'],
      ['BERTH_IPV6_POOL', '2001:db8::'],
      ['BERTH_IPV6_POOL', '192.0.2.0/24'],
    ])('refuses %s=%s', (name, cidr) => {
      const error = configError(env({ [name]: cidr }));
      expect(problemsNaming(error, name)).toEqual([expect.stringContaining(`"${cidr}"`)]);
    });

    it.each(['verbose', 'INFO', 'warning'])('refuses the log level %s', (level) => {
      const error = configError(env({ BERTH_LOG_LEVEL: level }));
      expect(problemsNaming(error, 'BERTH_LOG_LEVEL')).toHaveLength(1);
    });

    it('accepts every pino log level', () => {
      for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
        expect(loadConfig(env({ BERTH_LOG_LEVEL: level })).logLevel).toBe(level);
      }
    });
  });

  describe('DATABASE_URL', () => {
    it.each([
      'postgresql://berth:secret@db.internal:5432/berth',
      'postgres://berth@db.internal/berth',
    ])('reads %s as a PostgreSQL database', (url) => {
      expect(loadConfig(env({ DATABASE_URL: url })).database).toEqual({
        driver: 'postgresql',
        url,
      });
    });

    it('reads sqlite:<file> as a SQLite database outside the data folder', () => {
      expect(loadConfig(env({ DATABASE_URL: 'sqlite:/var/lib/berth.db' })).database).toEqual({
        driver: 'sqlite',
        path: '/var/lib/berth.db',
      });
    });
  });

  describe('address pools', () => {
    it.each(['192.0.2.0/31', '192.0.2.7/32'])('refuses an IPv4 pool with no room: %s', (pool) => {
      expect(
        problemsNaming(configError(env({ BERTH_IPV4_POOL: pool })), 'BERTH_IPV4_POOL'),
      ).toHaveLength(1);
    });

    it.each(['2001:db8::/128', '::ffff:192.0.2.0/120'])('refuses the IPv6 pool %s', (pool) => {
      expect(
        problemsNaming(configError(env({ BERTH_IPV6_POOL: pool })), 'BERTH_IPV6_POOL'),
      ).toHaveLength(1);
    });
  });

  it('needs the PowerDNS URL and API key with DNS=powerdns, and never prints the key', () => {
    expect(problemsNaming(configError(env({ DNS: 'powerdns' })), 'POWERDNS_API_URL')).toEqual([
      expect.stringContaining('required with DNS=powerdns'),
    ]);
    const config = loadConfig(
      env({
        DNS: 'powerdns',
        POWERDNS_API_URL: 'http://127.0.0.1:8081',
        POWERDNS_API_KEY: 'pdns-secret-key',
      }),
    );
    expect(config.dns.powerDns).toEqual({
      url: 'http://127.0.0.1:8081',
      apiKey: 'pdns-secret-key',
      serverId: 'localhost',
    });
    expect(config.dns.nameservers).toEqual([`ns1.${config.network.zone}`]);
    const refused = configError(
      env({ DNS: 'powerdns', POWERDNS_API_URL: 'ftp://x', POWERDNS_API_KEY: 'pdns-secret-key' }),
    );
    expect(refused.message).not.toContain('pdns-secret-key');
  });

  it('needs the LDAP connection settings with DIRECTORY=ldap, and never prints the password', () => {
    const missing = configError(env({ DIRECTORY: 'ldap', LDAP_BIND_PASSWORD: 'ldap-secret-pw' }));
    for (const name of ['LDAP_URL', 'LDAP_BIND_DN', 'LDAP_USER_BASE', 'LDAP_GROUP_BASE']) {
      expect(problemsNaming(missing, name)).toEqual([
        expect.stringContaining('required with DIRECTORY=ldap'),
      ]);
    }
    expect(missing.message).not.toContain('ldap-secret-pw');
    const config = loadConfig(
      env({
        DIRECTORY: 'ldap',
        LDAP_URL: 'ldaps://ldap.example.org:636',
        LDAP_BIND_DN: 'cn=berth,dc=example,dc=org',
        LDAP_BIND_PASSWORD: 'ldap-secret-pw',
        LDAP_USER_BASE: 'ou=people,dc=example,dc=org',
        LDAP_GROUP_BASE: 'ou=groups,dc=example,dc=org',
      }),
    );
    expect(config.directory.ldap).toMatchObject({
      url: 'ldaps://ldap.example.org:636',
      memberAttribute: 'memberUid',
      userFilter: '(objectClass=inetOrgPerson)',
    });
    expect(config.directory.operatorGroup).toBe('berth-operators');
    expect(problemsNaming(configError(env({ LDAP_URL: 'http://x' })), 'LDAP_URL')).toHaveLength(1);
  });

  it.each(['web', 'web-{n}-{n}', 'Web-{n}', 'a.b-{n}', '{n}-web', 'web-{n}-'])(
    'refuses the host name pattern %s',
    (pattern) => {
      expect(
        problemsNaming(
          configError(env({ BERTH_HOSTNAME_PATTERN: pattern })),
          'BERTH_HOSTNAME_PATTERN',
        ),
      ).toHaveLength(1);
    },
  );

  it('refuses a pool network with host bits set', () => {
    expect(
      problemsNaming(configError(env({ BERTH_IPV4_POOL: '192.0.2.7/24' })), 'BERTH_IPV4_POOL'),
    ).toEqual([expect.stringContaining('host bits')]);
  });

  describe('for e-mail', () => {
    it('logs notifications instead of sending them unless told otherwise', () => {
      const config = loadConfig(env());
      expect(config.adapters.mail).toBe('simulated');
      expect(config.mail).toEqual({ from: 'Berth <berth@localhost>', smtp: undefined });
      expect(config.notifications.cancellationWarningHours).toEqual([168, 24]);
    });

    it('sends through the SMTP server that SMTP_URL names', () => {
      const url = 'smtps://berth:s3cret%2Fpass@mail.example.org:465';
      const config = loadConfig(
        env({
          MAIL: 'smtp',
          SMTP_URL: url,
          SMTP_TIMEOUT_MS: '5000',
          MAIL_FROM: 'Web hosting <hosting@example.org>',
          BERTH_CANCELLATION_WARNING_HOURS: '1,48,12',
        }),
      );
      expect(config.mail).toEqual({
        from: 'Web hosting <hosting@example.org>',
        smtp: { url, timeoutMs: 5000, caFile: undefined },
      });
      expect(config.notifications.cancellationWarningHours).toEqual([48, 12, 1]);
    });

    it('needs SMTP_URL with MAIL=smtp', () => {
      expect(problemsNaming(configError(env({ MAIL: 'smtp' })), 'SMTP_URL')).toEqual([
        'SMTP_URL is required with MAIL=smtp',
      ]);
    });

    it.each([
      ['http://mail.example.org', 'smtp:// or smtps://'],
      ['smtp://', 'URL'],
      ['smtp://mail.example.org/inbox', 'path'],
      ['smtp://mail.example.org?tls=no', 'query'],
      ['smtp://:hunter2-secret@mail.example.org', 'user'],
    ])('refuses SMTP_URL %s without repeating it', (url, why) => {
      const error = configError(env({ MAIL: 'smtp', SMTP_URL: url }));
      expect(problemsNaming(error, 'SMTP_URL')).toEqual([expect.stringContaining(why)]);
      expect(error.message).not.toContain(url);
      expect(error.message).not.toContain('hunter2-secret');
    });

    it('refuses a sender that is not an address', () => {
      const error = configError(env({ MAIL_FROM: 'Berth <berth@example.org>\r\nBcc: x@y.z' }));
      expect(problemsNaming(error, 'MAIL_FROM')).toHaveLength(1);
    });
  });

  describe('in the production profile', () => {
    const postgresUrl = 'postgresql://berth:hunter2-password@db.internal:5432/berth';

    it('refuses the default simulated adapters, SQLite and a missing Temporal address', () => {
      const error = configError(env({ BERTH_PROFILE: 'production' }));
      expect(problemsNaming(error, 'HYPERVISOR=simulated')).toHaveLength(1);
      expect(problemsNaming(error, 'ANSIBLE=simulated')).toHaveLength(1);
      expect(problemsNaming(error, 'DNS=simulated')).toHaveLength(1);
      expect(problemsNaming(error, 'MAIL=simulated')).toHaveLength(1);
      expect(problemsNaming(error, 'DATABASE_URL')).toEqual([
        expect.stringContaining('PostgreSQL'),
      ]);
      expect(problemsNaming(error, 'TEMPORAL_ADDRESS')).toEqual([
        expect.stringContaining('required'),
      ]);
      expect(error.problems).toHaveLength(6);
    });

    it('lists invalid values and the profile rules in one message, not in two rounds', () => {
      const error = configError(env({ BERTH_PROFILE: 'production', BERTH_API_PORT: '0' }));
      for (const name of [
        'BERTH_API_PORT',
        'HYPERVISOR',
        'ANSIBLE',
        'DATABASE_URL',
        'TEMPORAL_ADDRESS',
      ]) {
        expect(problemsNaming(error, name)).toHaveLength(1);
      }
    });

    it('does not add a profile rule about a value that was already refused', () => {
      const error = configError(env({ BERTH_PROFILE: 'production', DATABASE_URL: 'mysql://x' }));
      expect(problemsNaming(error, 'DATABASE_URL')).toHaveLength(1);
    });

    it('refuses an explicit sqlite: DATABASE_URL', () => {
      const error = configError(
        env({
          BERTH_PROFILE: 'production',
          DATABASE_URL: 'sqlite:/var/lib/berth.db',
          TEMPORAL_ADDRESS: 'temporal.internal:7233',
        }),
      );
      expect(problemsNaming(error, 'DATABASE_URL')).toHaveLength(1);
    });

    it('still fails with PostgreSQL and Temporal while only simulated adapters exist', () => {
      const error = configError(
        env({
          BERTH_PROFILE: 'production',
          DATABASE_URL: postgresUrl,
          TEMPORAL_ADDRESS: 'temporal.internal:7233',
        }),
      );
      expect(error.problems).toHaveLength(4);
      expect(error.message).toContain('HYPERVISOR');
      expect(error.message).toContain('ANSIBLE');
      expect(error.message).toContain('DNS');
      expect(error.message).toContain('MAIL');
      expect(error.message).not.toContain('hunter2-password');
    });
  });
});
