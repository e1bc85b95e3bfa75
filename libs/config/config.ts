import { resolve } from 'node:path';
import { type z } from 'zod';
import {
  type SettingKey,
  settings,
  type hypervisorAdapters,
  type ansibleAdapters,
  type dnsAdapters,
  type directoryAdapters,
  type mailAdapters,
} from './settings';

/** Berth's configuration, validated; read once at start-up and passed inward as data. */
export interface BerthConfig {
  readonly profile: 'embedded' | 'production';
  readonly dataDir: string;
  readonly database:
    | { readonly driver: 'sqlite'; readonly path: string }
    | { readonly driver: 'postgresql'; readonly url: string };
  readonly temporal: {
    /** Unset: `npm start` runs a dev server on devPort. */
    readonly configuredAddress: string | undefined;
    readonly address: string;
    readonly namespace: string;
    readonly taskQueue: string;
    readonly devPort: number;
    readonly uiPort: number;
    readonly cli: string | undefined;
  };
  readonly api: {
    readonly host: string;
    readonly port: number;
    readonly publicUrl: string;
    /** Origins allowed to call the codec endpoint (the Temporal UI). */
    readonly codecCorsOrigins: readonly string[];
    /** How often subscriptions read what they follow. */
    readonly subscriptionPollMs: number;
    /** Origins whose pages may call /graphql with credentials; exact, no wildcards. */
    readonly corsOrigins: readonly string[];
    /** Addresses or networks (CIDR) of proxies whose `X-Forwarded-For` is believed. */
    readonly trustedProxies: readonly string[];
  };
  /** Per api process; 0 turns a limit off. */
  readonly rateLimits: {
    /** Requests to the login routes per client address and minute. */
    readonly loginPerMinute: number;
    /** 401 answers per client address and minute before its requests are answered 429. */
    readonly authFailuresPerMinute: number;
    /** API tokens created per user and hour. */
    readonly tokenCreatePerHour: number;
  };
  readonly adapters: {
    readonly hypervisor: (typeof hypervisorAdapters)[number];
    readonly ansible: (typeof ansibleAdapters)[number];
    readonly dns: (typeof dnsAdapters)[number];
    readonly directory: (typeof directoryAdapters)[number];
    readonly mail: (typeof mailAdapters)[number];
  };
  readonly directory: {
    /** The YAML file of DIRECTORY=file; undefined means the example shipped in the repository. */
    readonly file: string | undefined;
    /** Set when DIRECTORY=ldap. */
    readonly ldap:
      | {
          readonly url: string;
          readonly bindDn: string;
          readonly bindPassword: string;
          readonly userBase: string;
          readonly groupBase: string;
          readonly userFilter: string;
          readonly groupFilter: string;
          readonly memberAttribute: string;
          readonly timeoutMs: number;
          readonly caFile: string | undefined;
        }
      | undefined;
    /** Members of this directory group are operators. */
    readonly operatorGroup: string;
    /** How long the api reuses a caller's groups. */
    readonly cacheSeconds: number;
  };
  /** Bearer access tokens from an OIDC provider; unset when BERTH_OIDC_ISSUER is. */
  readonly oidc:
    | {
        readonly issuer: string;
        readonly audience: string;
        readonly userClaim: string;
        readonly clockToleranceSeconds: number;
        /** Browser login (authorization code + PKCE); unset without BERTH_OIDC_CLIENT_ID. */
        readonly login:
          | {
              readonly clientId: string;
              /** Never log it; undefined for a public client. */
              readonly clientSecret: string | undefined;
              readonly scope: string;
            }
          | undefined;
      }
    | undefined;
  /** Browser sessions made by logging in. */
  readonly sessions: { readonly hours: number };
  /** The development login provider `npm start` runs (embedded profile only). */
  readonly devLogin: { readonly enabled: boolean; readonly port: number };
  /** Set when HYPERVISOR=vsphere. */
  readonly vsphere: VsphereConfig | undefined;
  /** Signs per-VM callback tokens. Never log it. */
  readonly secretKey: Buffer;
  /** Earlier secret keys: only the payload codec still uses them, to decode old payloads. */
  readonly previousSecretKeys: readonly Buffer[];
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly provisioning: {
    readonly installTimeoutSeconds: number;
    readonly cpus: number;
    readonly memoryMb: number;
    readonly diskGb: number;
    readonly cancellationGraceSeconds: number;
    readonly siteHistoryLimit: number;
    /** Snapshots the admins of one site may keep at once. */
    readonly snapshotsPerSite: number;
  };
  readonly backups: {
    readonly keepDaily: number;
    readonly keepWeekly: number;
    /** Seconds after midnight UTC at which nightly backups fall due; null when they are off. */
    readonly secondOfDay: number | null;
    /** Each site's backup starts at its own point this long after. */
    readonly spreadSeconds: number;
  };
  readonly os: {
    /** OS image → Debian suite. */
    readonly releases: ReadonlyMap<string, string>;
    /** Image due an upgrade → the image it is upgraded to. */
    readonly upgrades: ReadonlyMap<string, string>;
    readonly approvalSeconds: number;
    readonly reminderSeconds: number;
    /**
     * Upgrades that may run at once across the fleet (each holds a test server until it ends);
     * past it, upgrades wait as `queued` operations. 0: no limit.
     */
    readonly maxPendingUpgrades: number;
    /** How often the `upgrade-queue` schedule starts queued upgrades there is room for. */
    readonly upgradeQueueMinutes: number;
  };
  readonly network: {
    readonly zone: string;
    readonly hostnamePattern: string;
    /** The networks of the pools made at migration when a family has none. */
    readonly ipv4Pool: string;
    readonly ipv6Pool: string;
    readonly addressHoldSeconds: number;
  };
  readonly dns: {
    /** Set when DNS=powerdns. */
    readonly powerDns:
      { readonly url: string; readonly apiKey: string; readonly serverId: string } | undefined;
    readonly nameservers: readonly string[];
    readonly ttlSeconds: number;
    readonly dnssec: boolean;
    readonly reconcileMinutes: number;
    readonly repairDrift: boolean;
  };
  readonly pool: {
    /** Per image, in the configured order; the first image is the default. */
    readonly targets: readonly { readonly image: string; readonly size: number }[];
    readonly refillMinutes: number;
    /** How long a refill started by a claim waits before it counts what is missing. */
    readonly refillSettleSeconds: number;
  };
  readonly ansible: AnsibleConfig;
  readonly simulated: { readonly installDelayMs: number; readonly ansibleTaskMs: number };
  readonly fleet: { readonly hostWatchSeconds: number };
  /** Refreshing sites' users from the directory. */
  readonly people: { readonly refreshMinutes: number };
  /** Sites' domain names: which are approved at once (operators approve the others). */
  readonly domains: {
    /** Zones whose names (the zone itself and every name under it) need no approval. */
    readonly organisationZones: readonly string[];
  };
  /** E-mail of notifications. */
  readonly mail: {
    /** `address` or `Name <address>`. */
    readonly from: string;
    /** Set when MAIL=smtp. */
    readonly smtp: SmtpConfig | undefined;
  };
  /** Delivering the notification outbox (the `notification-delivery` schedule). */
  readonly notifications: {
    readonly intervalSeconds: number;
    /** Sent at most per delivery run. */
    readonly batchSize: number;
    readonly maxAttempts: number;
    /** Wait after the first temporary failure; doubled after each further one, up to an hour. */
    readonly retrySeconds: number;
    /** Before a cancelled site's deletion, largest first. */
    readonly cancellationWarningHours: readonly number[];
  };
  readonly worker: { readonly shutdownGraceSeconds: number };
}

/** What the vsphere adapter cannot start without. */
const vsphereRequired = [
  'vsphereUrl',
  'vsphereUsername',
  'vspherePassword',
  'vsphereDatacenter',
  'vsphereCluster',
  'vsphereTemplate',
] as const satisfies readonly SettingKey[];

export interface VsphereConfig {
  readonly url: string;
  readonly username: string;
  /** Never log it. */
  readonly password: string;
  /** A path; the adapter reads the PEM when it starts. */
  readonly caFile: string | undefined;
  readonly datacenter: string;
  readonly cluster: string;
  readonly template: string;
  readonly folder: string | undefined;
}

export interface SmtpConfig {
  /** `smtp://` or `smtps://`, with credentials perhaps: never log it. */
  readonly url: string;
  readonly timeoutMs: number;
  /** A path; the adapter reads the PEM when it starts. */
  readonly caFile: string | undefined;
}

/** The `ansible` configuration adapter and its task queue's worker. */
export interface AnsibleConfig {
  /** Configured `ansible-playbook` (a path, or a name for PATH); unset, tools/ then PATH. */
  readonly executable: string | undefined;
  /** Configured playbook; unset, the repository's ansible/site.yml. */
  readonly playbook: string | undefined;
  /** A YAML or JSON file of host variables for every server; read when the adapter starts. */
  readonly hostVarsFile: string | undefined;
  /** Concurrent configuration runs per worker. */
  readonly concurrency: number;
  /** Between SIGTERM and SIGKILL when a run is cancelled. */
  readonly killGraceSeconds: number;
}

/** Start-up refuses to continue; `problems` lists every invalid or missing setting. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Values = { [K in SettingKey]: z.output<(typeof settings)[K]['schema']> | undefined };

/**
 * Validates the environment against the settings table and returns the configuration, or throws
 * one ConfigError naming every problem. Values of sensitive settings never appear in messages.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BerthConfig {
  const problems: string[] = [];
  const invalid = new Set<SettingKey>();
  const values = {} as Record<SettingKey, unknown>;

  for (const key of Object.keys(settings) as SettingKey[]) {
    const setting = settings[key];
    const raw = env[setting.env];
    const text =
      raw === undefined || raw === '' ? ('default' in setting ? setting.default : undefined) : raw;
    if (text === undefined) {
      if (!('optional' in setting && setting.optional)) {
        problems.push(`${setting.env} is required`);
        invalid.add(key);
      }
      values[key] = undefined;
      continue;
    }
    const parsed = setting.schema.safeParse(text);
    if (parsed.success) {
      values[key] = parsed.data;
    } else {
      invalid.add(key);
      const shown = 'sensitive' in setting && setting.sensitive ? '' : ` (got "${text}")`;
      problems.push(
        `${setting.env}: ${parsed.error.issues.map((i) => i.message).join('; ')}${shown}`,
      );
    }
  }
  const v = values as Values;

  // The profile's own rules, checked on whatever parsed, so that one message lists everything.
  const dataDir = resolve(v.dataDir ?? '.');
  const database = parseDatabaseUrl(v.databaseUrl ?? `sqlite:${dataDir}/berth.sqlite`);
  const profile = v.profile!;
  if (profile === 'production') {
    for (const key of ['hypervisor', 'ansible', 'dns'] as const) {
      if (!invalid.has(key) && v[key] === 'simulated') {
        problems.push(
          `${settings[key].env}=simulated is refused by the production profile: choose a real adapter`,
        );
      }
    }
    if (!invalid.has('mail') && v.mail === 'simulated') {
      problems.push(
        `${settings.mail.env}=simulated is refused by the production profile: choose smtp`,
      );
    }
    if (!invalid.has('databaseUrl') && database.driver !== 'postgresql') {
      problems.push('DATABASE_URL must name a PostgreSQL database in the production profile');
    }
    if (v.temporalAddress === undefined) {
      problems.push('TEMPORAL_ADDRESS is required in the production profile');
    }
    if (v.devLogin === true) {
      problems.push(
        `${settings.devLogin.env}=true is refused by the production profile: the development login provider lets anyone in`,
      );
    }
  }
  if (v.oidcIssuer !== undefined && v.oidcAudience === undefined && !invalid.has('oidcAudience')) {
    problems.push(`${settings.oidcAudience.env} is required with BERTH_OIDC_ISSUER`);
  }
  if (v.oidcClientId !== undefined && v.oidcIssuer === undefined && !invalid.has('oidcIssuer')) {
    problems.push(`${settings.oidcIssuer.env} is required with ${settings.oidcClientId.env}`);
  }
  if (v.directory === 'ldap') {
    for (const key of [
      'ldapUrl',
      'ldapBindDn',
      'ldapBindPassword',
      'ldapUserBase',
      'ldapGroupBase',
    ] as const) {
      if (v[key] === undefined && !invalid.has(key)) {
        problems.push(`${settings[key].env} is required with DIRECTORY=ldap`);
      }
    }
  }
  if (v.dns === 'powerdns') {
    for (const key of ['powerDnsUrl', 'powerDnsApiKey'] as const) {
      if (v[key] === undefined && !invalid.has(key)) {
        problems.push(`${settings[key].env} is required with DNS=powerdns`);
      }
    }
  }
  if (v.hypervisor === 'vsphere') {
    for (const key of vsphereRequired) {
      if (!invalid.has(key) && v[key] === undefined) {
        problems.push(`${settings[key].env} is required with HYPERVISOR=vsphere`);
      }
    }
  }
  if (v.mail === 'smtp' && v.smtpUrl === undefined && !invalid.has('smtpUrl')) {
    problems.push(`${settings.smtpUrl.env} is required with MAIL=smtp`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const apiHost = v.apiHost!;
  const apiPort = v.apiPort!;
  return {
    profile,
    dataDir,
    database,
    temporal: {
      configuredAddress: v.temporalAddress,
      address: v.temporalAddress ?? `127.0.0.1:${v.temporalDevPort}`,
      namespace: v.temporalNamespace!,
      taskQueue: v.temporalTaskQueue!,
      devPort: v.temporalDevPort!,
      uiPort: v.temporalUiPort!,
      cli: v.temporalCli,
    },
    api: {
      host: apiHost,
      port: apiPort,
      publicUrl: (v.publicUrl ?? `http://${urlHost(apiHost)}:${apiPort}`).replace(/\/+$/, ''),
      codecCorsOrigins: (
        v.codecCorsOrigins ??
        `http://127.0.0.1:${v.temporalUiPort},http://localhost:${v.temporalUiPort}`
      ).split(','),
      subscriptionPollMs: v.subscriptionPollMs!,
      corsOrigins: v.corsOrigins?.split(',') ?? [],
      trustedProxies: v.trustedProxies?.split(',') ?? [],
    },
    rateLimits: {
      loginPerMinute: v.rateLimitLoginPerMinute!,
      authFailuresPerMinute: v.rateLimitAuthFailuresPerMinute!,
      tokenCreatePerHour: v.rateLimitTokenCreatePerHour!,
    },
    adapters: {
      hypervisor: v.hypervisor!,
      ansible: v.ansible!,
      dns: v.dns!,
      directory: v.directory!,
      mail: v.mail!,
    },
    directory: {
      file: v.directoryFile,
      ldap:
        v.directory === 'ldap'
          ? {
              url: v.ldapUrl!,
              bindDn: v.ldapBindDn!,
              bindPassword: v.ldapBindPassword!,
              userBase: v.ldapUserBase!,
              groupBase: v.ldapGroupBase!,
              userFilter: v.ldapUserFilter!,
              groupFilter: v.ldapGroupFilter!,
              memberAttribute: v.ldapMemberAttribute!,
              timeoutMs: v.ldapTimeoutMs!,
              caFile: v.ldapCaFile,
            }
          : undefined,
      operatorGroup: v.operatorGroup!,
      cacheSeconds: v.directoryCacheSeconds!,
    },
    oidc:
      v.oidcIssuer !== undefined
        ? {
            issuer: v.oidcIssuer,
            audience: v.oidcAudience!,
            userClaim: v.oidcUserClaim!,
            clockToleranceSeconds: v.oidcClockToleranceSeconds!,
            login:
              v.oidcClientId !== undefined
                ? {
                    clientId: v.oidcClientId,
                    clientSecret: v.oidcClientSecret,
                    scope: v.oidcLoginScope!,
                  }
                : undefined,
          }
        : undefined,
    sessions: { hours: v.sessionHours! },
    devLogin: { enabled: v.devLogin ?? profile === 'embedded', port: v.devLoginPort! },
    vsphere:
      v.hypervisor === 'vsphere'
        ? {
            url: v.vsphereUrl!,
            username: v.vsphereUsername!,
            password: v.vspherePassword!,
            caFile: v.vsphereCaFile,
            datacenter: v.vsphereDatacenter!,
            cluster: v.vsphereCluster!,
            template: v.vsphereTemplate!,
            folder: v.vsphereFolder,
          }
        : undefined,
    secretKey: Buffer.from(v.secretKey!, 'base64'),
    previousSecretKeys: (v.previousSecretKeys ?? '')
      .split(',')
      .filter(Boolean)
      .map((key) => Buffer.from(key, 'base64')),
    logLevel: v.logLevel!,
    provisioning: {
      installTimeoutSeconds: v.installTimeoutSeconds!,
      cpus: v.vmCpus!,
      memoryMb: v.vmMemoryMb!,
      diskGb: v.vmDiskGb!,
      cancellationGraceSeconds: v.cancellationGraceSeconds!,
      siteHistoryLimit: v.siteHistoryLimit!,
      snapshotsPerSite: v.snapshotsPerSite!,
    },
    backups: {
      keepDaily: v.backupKeepDaily!,
      keepWeekly: v.backupKeepWeekly!,
      secondOfDay:
        v.backupTime === 'off'
          ? null
          : v
              .backupTime!.split(':')
              .map(Number)
              .reduce((total, part, index) => total + part * [3600, 60, 1][index]!, 0),
      spreadSeconds: v.backupSpreadMinutes! * 60,
    },
    os: {
      releases: pairs(v.osReleases!),
      upgrades: pairs(v.osUpgrades!),
      approvalSeconds: Math.round(v.upgradeApprovalDays! * 86_400),
      reminderSeconds: Math.round(v.upgradeReminderDays! * 86_400),
      maxPendingUpgrades: v.maxPendingUpgrades!,
      upgradeQueueMinutes: v.upgradeQueueMinutes!,
    },
    network: {
      zone: v.dnsZone!,
      hostnamePattern: v.hostnamePattern!,
      ipv4Pool: v.ipv4Pool!,
      ipv6Pool: v.ipv6Pool!,
      addressHoldSeconds: v.addressHoldSeconds!,
    },
    dns: {
      powerDns:
        v.dns === 'powerdns'
          ? { url: v.powerDnsUrl!, apiKey: v.powerDnsApiKey!, serverId: v.powerDnsServerId! }
          : undefined,
      nameservers: v.dnsNameservers?.split(',') ?? [`ns1.${v.dnsZone!}`],
      ttlSeconds: v.dnsTtlSeconds!,
      dnssec: v.dnssec!,
      reconcileMinutes: v.dnsReconcileMinutes!,
      repairDrift: v.dnsRepairDrift!,
    },
    pool: {
      targets: v.poolTargets!.split(',').map((pair) => {
        const [image, size] = pair.split('=');
        return { image: image!, size: Number(size) };
      }),
      refillMinutes: v.poolRefillMinutes!,
      refillSettleSeconds: v.poolRefillSettleSeconds!,
    },
    ansible: {
      // A bare name is looked up on PATH when the run starts; a path is taken as given.
      executable: v.ansiblePlaybookBin?.includes('/')
        ? resolve(v.ansiblePlaybookBin)
        : v.ansiblePlaybookBin,
      playbook: v.ansiblePlaybook && resolve(v.ansiblePlaybook),
      hostVarsFile: v.ansibleHostVars && resolve(v.ansibleHostVars),
      concurrency: v.ansibleConcurrency!,
      killGraceSeconds: v.ansibleKillGraceSeconds!,
    },
    fleet: { hostWatchSeconds: v.hostWatchSeconds! },
    people: { refreshMinutes: v.peopleRefreshMinutes! },
    domains: { organisationZones: (v.organisationZones ?? v.dnsZone!).split(',') },
    simulated: {
      installDelayMs: v.simulatedInstallDelayMs!,
      ansibleTaskMs: v.simulatedAnsibleTaskMs!,
    },
    mail: {
      from: v.mailFrom!,
      smtp:
        v.mail === 'smtp'
          ? { url: v.smtpUrl!, timeoutMs: v.smtpTimeoutMs!, caFile: v.smtpCaFile }
          : undefined,
    },
    notifications: {
      intervalSeconds: v.notifyIntervalSeconds!,
      batchSize: v.notifyBatchSize!,
      maxAttempts: v.notifyMaxAttempts!,
      retrySeconds: v.notifyRetrySeconds!,
      cancellationWarningHours: v
        .cancellationWarningHours!.split(',')
        .map(Number)
        .sort((a, b) => b - a),
    },
    worker: { shutdownGraceSeconds: v.workerShutdownGraceSeconds! },
  };
}

function parseDatabaseUrl(url: string): BerthConfig['database'] {
  if (url.startsWith('sqlite:'))
    return { driver: 'sqlite', path: resolve(url.slice('sqlite:'.length)) };
  return { driver: 'postgresql', url };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/** `a=b,c=d` as a map; an empty text is an empty map. */
function pairs(text: string): ReadonlyMap<string, string> {
  return new Map(
    text
      .split(',')
      .filter(Boolean)
      .map((pair) => pair.split('=') as [string, string]),
  );
}
