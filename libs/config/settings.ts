import { z } from 'zod';
import { parseAddress, parseCidr } from '../network/addresses';
import { parseHostnamePattern } from '../network/hostnames';

/**
 * Every environment variable Berth reads, with its type, default and meaning. This table is the
 * single source for validation (config.ts), the README's configuration table
 * (`npm run config:table`) and the docker-compose check.
 */
export interface Setting {
  /** Environment variable name. */
  readonly env: string;
  /** One line for the README. */
  readonly description: string;
  /** Default as the text a user would type; absent means required (or optional when `optional`). */
  readonly default?: string;
  /** May be left unset without a default. */
  readonly optional?: boolean;
  /** Never printed: redacted in logs, errors and the README. */
  readonly sensitive?: boolean;
  /** Parses the text form. */
  readonly schema: z.ZodType;
}

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();
const adapter = <T extends readonly [string, ...string[]]>(names: T) => z.enum(names);

/** Requests allowed per period; 0 means no limit. */
const rateLimit = z.coerce.number().int().min(0).max(1_000_000);

/** `scheme://host[:port]` exactly as a browser sends it in `Origin`: no path, no wildcard. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    // WHATWG URLs accept `*` in a host name; a wildcard must not pass for an origin.
    const host =
      /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)$/;
    return /^https?:$/.test(url.protocol) && host.test(url.hostname) && url.origin === text;
  } catch {
    return false;
  }
}

function isAddressOrNetwork(text: string): boolean {
  return parseAddress(text) !== undefined || typeof parseCidr(text) !== 'string';
}

/** Why `text` is not a usable SMTP_URL, or undefined. Never repeats the URL: it may hold a password. */
function smtpUrlProblem(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be a URL';
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    return 'must start with smtp:// or smtps://';
  if (!url.hostname) return 'must name a host';
  if (url.pathname !== '' && url.pathname !== '/') return 'must not have a path';
  if (url.search || url.hash) return 'must not have a query or fragment';
  if (url.password && !url.username) return 'must name a user with a password';
  return undefined;
}

/** Adapters that exist today; each later issue adds its real adapter to these lists. */
export const hypervisorAdapters = ['simulated', 'vsphere'] as const;
export const ansibleAdapters = ['simulated', 'ansible'] as const;
export const dnsAdapters = ['simulated', 'powerdns'] as const;
export const directoryAdapters = ['file', 'ldap'] as const;
export const mailAdapters = ['simulated', 'smtp'] as const;

export const settings = {
  profile: {
    env: 'BERTH_PROFILE',
    description:
      '`embedded` (one machine, SQLite, simulated adapters allowed) or `production` (refuses simulated adapters)',
    default: 'embedded',
    schema: z.enum(['embedded', 'production']),
  },
  dataDir: {
    env: 'BERTH_DATA_DIR',
    description:
      'Folder for the embedded SQLite database, the Temporal dev server file and the secret key',
    default: './data',
    schema: z.string().min(1),
  },
  databaseUrl: {
    env: 'DATABASE_URL',
    description:
      '`sqlite:<file>` or `postgresql://user:pass@host:port/db`; default is `sqlite:<BERTH_DATA_DIR>/berth.sqlite`',
    optional: true,
    sensitive: true,
    schema: z
      .string()
      .regex(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, 'must start with sqlite: or postgresql://'),
  },
  temporalAddress: {
    env: 'TEMPORAL_ADDRESS',
    description:
      '`host:port` of a Temporal frontend to use; when unset, `npm start` runs a dev server and the others use `127.0.0.1:<TEMPORAL_DEV_PORT>`',
    optional: true,
    schema: z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'must be host:port'),
  },
  temporalNamespace: {
    env: 'TEMPORAL_NAMESPACE',
    description: 'Temporal namespace',
    default: 'default',
    schema: z.string().min(1).max(200),
  },
  temporalTaskQueue: {
    env: 'TEMPORAL_TASK_QUEUE',
    description: 'Default task queue of workflows and activities',
    default: 'berth',
    schema: z.string().min(1).max(200),
  },
  temporalDevPort: {
    env: 'TEMPORAL_DEV_PORT',
    description: 'Port of the Temporal dev server that `npm start` runs',
    default: '7233',
    schema: port,
  },
  temporalUiPort: {
    env: 'TEMPORAL_UI_PORT',
    description: 'Port of the Temporal UI of that dev server',
    default: '8233',
    schema: port,
  },
  temporalCli: {
    env: 'TEMPORAL_CLI',
    description:
      'Path of the `temporal` CLI; otherwise PATH, then tools/venv/bin/temporal, then tools/go/bin/temporal',
    optional: true,
    schema: z.string().min(1),
  },
  apiHost: {
    env: 'BERTH_API_HOST',
    description: 'Address the API listens on',
    default: '127.0.0.1',
    schema: z.string().min(1),
  },
  apiPort: {
    env: 'BERTH_API_PORT',
    description: 'Port the API listens on',
    default: '4000',
    schema: port,
  },
  publicUrl: {
    env: 'BERTH_PUBLIC_URL',
    description:
      'Base URL at which servers reach the API (install callbacks); default `http://<BERTH_API_HOST>:<BERTH_API_PORT>`',
    optional: true,
    schema: z.url({ protocol: /^https?$/ }),
  },
  codecCorsOrigins: {
    env: 'BERTH_CODEC_CORS_ORIGINS',
    description:
      'Comma-separated origins of Temporal UIs allowed to call the codec endpoint (`/codec`); default the embedded dev server UI',
    optional: true,
    schema: z
      .string()
      .regex(/^https?:\/\/[^,\s]+(,https?:\/\/[^,\s]+)*$/, 'must be origins separated by commas'),
  },
  corsOrigins: {
    env: 'BERTH_CORS_ORIGINS',
    description:
      'Comma-separated origins (`https://panel.example.org`, exact: no wildcards, no paths) whose pages may call `/graphql` with credentials; default none',
    optional: true,
    schema: z.string().superRefine((text, context) => {
      for (const origin of text.split(',')) {
        if (!isOrigin(origin)) {
          context.addIssue({ code: 'custom', message: `"${origin}" is not an origin` });
        }
      }
    }),
  },
  trustedProxies: {
    env: 'BERTH_TRUSTED_PROXIES',
    description:
      'Comma-separated addresses or networks (`10.0.0.5`, `2001:db8::/64`) of the reverse proxies in front of the api: only from these is `X-Forwarded-For` believed, for per-address rate limits; default none',
    optional: true,
    schema: z.string().superRefine((text, context) => {
      for (const entry of text.split(',')) {
        if (!isAddressOrNetwork(entry)) {
          context.addIssue({ code: 'custom', message: `"${entry}" is not an address or network` });
        }
      }
    }),
  },
  rateLimitLoginPerMinute: {
    env: 'BERTH_RATE_LIMIT_LOGIN_PER_MINUTE',
    description:
      'Requests to the login routes (`/auth/login`, `/auth/callback`) one client address may make per minute (per api process); 0 turns the limit off',
    default: '20',
    schema: rateLimit,
  },
  rateLimitAuthFailuresPerMinute: {
    env: 'BERTH_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE',
    description:
      'Refused credentials (401 answers) one client address may collect per minute (per api process); past it, its requests are answered 429 until the allowance refills. 0 turns the limit off',
    default: '30',
    schema: rateLimit,
  },
  rateLimitTokenCreatePerHour: {
    env: 'BERTH_RATE_LIMIT_TOKEN_CREATE_PER_HOUR',
    description:
      'API tokens one user may create in any hour (counted in the database, so across api processes); 0 turns the limit off',
    default: '20',
    schema: rateLimit,
  },
  subscriptionPollMs: {
    env: 'BERTH_SUBSCRIPTION_POLL_MS',
    description:
      'How often the api reads the records its subscriptions follow (one read covers all subscribers)',
    default: '100',
    schema: z.coerce.number().int().min(20).max(10_000),
  },
  hypervisor: {
    env: 'HYPERVISOR',
    description: `Hypervisor adapter: ${hypervisorAdapters.map((a) => `\`${a}\``).join(', ')}`,
    default: 'simulated',
    schema: adapter(hypervisorAdapters),
  },
  vsphereUrl: {
    env: 'VSPHERE_URL',
    description: 'vSphere SDK endpoint, `https://<vcenter>/sdk` (HYPERVISOR=vsphere)',
    optional: true,
    schema: z.url({ protocol: /^https$/ }),
  },
  vsphereUsername: {
    env: 'VSPHERE_USERNAME',
    description: 'vSphere account Berth logs in as (HYPERVISOR=vsphere)',
    optional: true,
    schema: z.string().min(1).max(256),
  },
  vspherePassword: {
    env: 'VSPHERE_PASSWORD',
    description: "That account's password (HYPERVISOR=vsphere)",
    optional: true,
    sensitive: true,
    schema: z.string().min(1).max(1024),
  },
  vsphereCaFile: {
    env: 'VSPHERE_CA_FILE',
    description:
      "PEM file of the CA that signed vCenter's certificate; default the system's trusted CAs",
    optional: true,
    schema: z.string().min(1),
  },
  vsphereDatacenter: {
    env: 'VSPHERE_DATACENTER',
    description: "Datacenter that holds Berth's VMs (HYPERVISOR=vsphere)",
    optional: true,
    schema: z.string().min(1).max(80),
  },
  vsphereCluster: {
    env: 'VSPHERE_CLUSTER',
    description: "Cluster whose hosts run Berth's VMs (HYPERVISOR=vsphere)",
    optional: true,
    schema: z.string().min(1).max(80),
  },
  vsphereTemplate: {
    env: 'VSPHERE_TEMPLATE',
    description:
      "Template that new servers are cloned from, by path under the datacenter's `vm` folder (HYPERVISOR=vsphere)",
    optional: true,
    schema: z.string().min(1).max(255),
  },
  vsphereFolder: {
    env: 'VSPHERE_FOLDER',
    description:
      "Folder under the datacenter's `vm` folder for Berth's VMs; default the `vm` folder itself",
    optional: true,
    schema: z.string().min(1).max(255),
  },
  ansible: {
    env: 'ANSIBLE',
    description: `Configuration adapter: ${ansibleAdapters.map((a) => `\`${a}\``).join(', ')}`,
    default: 'simulated',
    schema: adapter(ansibleAdapters),
  },
  ansiblePlaybookBin: {
    env: 'BERTH_ANSIBLE_PLAYBOOK_BIN',
    description:
      'Path of `ansible-playbook` (ANSIBLE=ansible); default tools/ansible-venv/bin or tools/venv/bin when there, else PATH',
    optional: true,
    schema: z.string().min(1),
  },
  ansiblePlaybook: {
    env: 'BERTH_ANSIBLE_PLAYBOOK',
    description:
      "Playbook a configuration run applies; default the repository's `ansible/site.yml` (an `ansible.cfg` beside it is used)",
    optional: true,
    schema: z.string().min(1),
  },
  ansibleHostVars: {
    env: 'BERTH_ANSIBLE_HOST_VARS',
    description:
      'YAML or JSON file of connection variables for every server (`ansible_user`, `ansible_ssh_private_key_file`, ...); `ansible_host` defaults to its IPv4',
    optional: true,
    schema: z.string().min(1),
  },
  ansibleConcurrency: {
    env: 'BERTH_ANSIBLE_CONCURRENCY',
    description:
      'How many configuration runs one worker runs at once (task queue `<TEMPORAL_TASK_QUEUE>-ansible`)',
    default: '2',
    schema: positiveInt.max(100),
  },
  ansibleKillGraceSeconds: {
    env: 'BERTH_ANSIBLE_KILL_GRACE_SECONDS',
    description:
      "How long a cancelled run's processes get to stop after SIGTERM before they are killed",
    default: '10',
    schema: z.coerce.number().int().min(0).max(600),
  },
  directory: {
    env: 'DIRECTORY',
    description: `Directory of users and groups: ${directoryAdapters.map((a) => `\`${a}\``).join(', ')} (a YAML file)`,
    default: 'file',
    schema: adapter(directoryAdapters),
  },
  directoryFile: {
    env: 'BERTH_DIRECTORY_FILE',
    description:
      'Users and groups for DIRECTORY=file (YAML; edits apply at the next lookup); default the example in activities/directory/file',
    optional: true,
    schema: z.string().min(1),
  },
  ldapUrl: {
    env: 'LDAP_URL',
    description: '`ldap://host:port` or `ldaps://host:port`; required with DIRECTORY=ldap',
    optional: true,
    schema: z
      .string()
      .regex(/^ldaps?:\/\/[^\s/]+\/?$/, 'must be ldap://host:port or ldaps://host:port'),
  },
  ldapBindDn: {
    env: 'LDAP_BIND_DN',
    description:
      'DN Berth binds as (read access to users and groups); required with DIRECTORY=ldap',
    optional: true,
    schema: z.string().min(1).max(500),
  },
  ldapBindPassword: {
    env: 'LDAP_BIND_PASSWORD',
    description: 'Password of LDAP_BIND_DN; required with DIRECTORY=ldap',
    optional: true,
    sensitive: true,
    schema: z.string().min(1).max(500),
  },
  ldapUserBase: {
    env: 'LDAP_USER_BASE',
    description: 'Subtree where users are searched; required with DIRECTORY=ldap',
    optional: true,
    schema: z.string().min(1).max(500),
  },
  ldapGroupBase: {
    env: 'LDAP_GROUP_BASE',
    description: 'Subtree where groups are searched; required with DIRECTORY=ldap',
    optional: true,
    schema: z.string().min(1).max(500),
  },
  ldapUserFilter: {
    env: 'LDAP_USER_FILTER',
    description: 'Which entries under LDAP_USER_BASE are users',
    default: '(objectClass=inetOrgPerson)',
    schema: z.string().min(3).max(500),
  },
  ldapGroupFilter: {
    env: 'LDAP_GROUP_FILTER',
    description: 'Which entries under LDAP_GROUP_BASE are groups',
    default: '(objectClass=posixGroup)',
    schema: z.string().min(3).max(500),
  },
  ldapMemberAttribute: {
    env: 'LDAP_MEMBER_ATTRIBUTE',
    description: "A group's attribute whose values are its members' uids",
    default: 'memberUid',
    schema: z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, 'must be an attribute name'),
  },
  ldapTimeoutMs: {
    env: 'LDAP_TIMEOUT_MS',
    description: 'Connect and per-operation timeout of LDAP calls',
    default: '5000',
    schema: positiveInt.max(120_000),
  },
  ldapCaFile: {
    env: 'LDAP_CA_FILE',
    description: 'PEM file of the CA that signed the LDAP server certificate (ldaps://)',
    optional: true,
    schema: z.string().min(1),
  },
  oidcIssuer: {
    env: 'BERTH_OIDC_ISSUER',
    description:
      "OIDC provider's issuer URL, exactly as its tokens spell it (https, or http on loopback); when set, bearer access tokens it signs are accepted",
    optional: true,
    schema: z.url({ protocol: /^https?$/ }).refine((text) => {
      const url = new URL(text);
      return (
        url.protocol === 'https:' || ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
      );
    }, 'must be https (http only on loopback)'),
  },
  oidcAudience: {
    env: 'BERTH_OIDC_AUDIENCE',
    description:
      "The `aud` of Berth's access tokens (its resource indicator); required with BERTH_OIDC_ISSUER",
    optional: true,
    schema: z.string().min(1).max(500),
  },
  oidcUserClaim: {
    env: 'BERTH_OIDC_USER_CLAIM',
    description: 'Token claim holding the directory uid; `sub` when the claim is absent',
    default: 'preferred_username',
    schema: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/, 'must be a claim name'),
  },
  oidcClockToleranceSeconds: {
    env: 'BERTH_OIDC_CLOCK_TOLERANCE_SECONDS',
    description: 'Clock difference allowed when checking exp, nbf and iat',
    default: '30',
    schema: z.coerce.number().int().min(0).max(300),
  },
  oidcClientId: {
    env: 'BERTH_OIDC_CLIENT_ID',
    description:
      "Berth's client id at the OIDC provider; with it, people log in with a browser at `/auth/login` (authorization code + PKCE)",
    optional: true,
    schema: z.string().min(1).max(200),
  },
  oidcClientSecret: {
    env: 'BERTH_OIDC_CLIENT_SECRET',
    description: 'Client secret for browser login; unset means a public client (PKCE only)',
    optional: true,
    sensitive: true,
    schema: z.string().min(1).max(500),
  },
  oidcLoginScope: {
    env: 'BERTH_OIDC_LOGIN_SCOPE',
    description: 'Scopes asked for at browser login; the ID token must carry BERTH_OIDC_USER_CLAIM',
    default: 'openid profile',
    schema: z
      .string()
      .regex(
        /^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/,
        'must be scopes separated by spaces',
      )
      .refine((text) => text.split(' ').includes('openid'), 'must include openid'),
  },
  sessionHours: {
    env: 'BERTH_SESSION_HOURS',
    description: 'How long a browser login lasts before the user logs in again',
    default: '12',
    schema: positiveInt.max(7 * 24),
  },
  devLogin: {
    env: 'BERTH_DEV_LOGIN',
    description:
      'Development only: `npm start` runs a login provider for browser login whose users are those of the directory (any password) unless BERTH_OIDC_ISSUER is set. Default `true` in the embedded profile; refused by the production profile',
    optional: true,
    schema: z.enum(['true', 'false']).transform((text) => text === 'true'),
  },
  devLoginPort: {
    env: 'BERTH_DEV_LOGIN_PORT',
    description: 'Port of the development login provider',
    default: '4010',
    schema: port,
  },
  directoryCacheSeconds: {
    env: 'BERTH_DIRECTORY_CACHE_SECONDS',
    description:
      "How long the api reuses a caller's directory groups; removing someone from a group takes effect within this time. 0 asks on every request",
    default: '60',
    schema: z.coerce.number().int().min(0).max(3600),
  },
  operatorGroup: {
    env: 'BERTH_OPERATOR_GROUP',
    description: 'Directory group whose members are Berth operators',
    default: 'berth-operators',
    schema: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be a directory group name'),
  },
  secretKey: {
    env: 'BERTH_SECRET_KEY',
    description:
      'Base64 of at least 32 random bytes; signs per-VM callback tokens. `npm start` creates one in the data folder',
    sensitive: true,
    schema: z
      .string()
      .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64')
      .refine((s) => Buffer.from(s, 'base64').length >= 32, 'must decode to at least 32 bytes'),
  },
  previousSecretKeys: {
    env: 'BERTH_PREVIOUS_SECRET_KEYS',
    description:
      'Comma-separated earlier values of BERTH_SECRET_KEY, so workflow payloads encrypted with them still decode after a rotation',
    optional: true,
    sensitive: true,
    schema: z
      .string()
      .regex(
        /^[A-Za-z0-9+/]+={0,2}(,[A-Za-z0-9+/]+={0,2})*$/,
        'must be base64 keys separated by commas',
      )
      .refine(
        (s) => s.split(',').every((k) => Buffer.from(k, 'base64').length >= 32),
        'each key must decode to at least 32 bytes',
      ),
  },
  logLevel: {
    env: 'BERTH_LOG_LEVEL',
    description: 'pino log level',
    default: 'info',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  },
  poolTargets: {
    env: 'BERTH_POOL_TARGETS',
    description:
      'Warm pool: how many built, powered-off VMs to keep per OS image, `image=count,...`; the first image is the default for new sites',
    default: 'debian-12=2',
    schema: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{0,39}=\d{1,3}(,[a-z0-9][a-z0-9.-]{0,39}=\d{1,3})*$/,
        'must be image=count pairs separated by commas',
      ),
  },
  poolRefillMinutes: {
    env: 'BERTH_POOL_REFILL_MINUTES',
    description:
      'How often the schedule tops up the warm pool (it is also topped up after every claim)',
    default: '10',
    schema: positiveInt.max(24 * 60),
  },
  poolRefillSettleSeconds: {
    env: 'BERTH_POOL_REFILL_SETTLE_SECONDS',
    description:
      'How long a refill started by a claim waits before counting, so a burst of claims is replaced in one batch after it, not during it',
    default: '15',
    schema: z.coerce.number().int().min(0).max(3600),
  },
  hostWatchSeconds: {
    env: 'BERTH_HOST_WATCH_SECONDS',
    description: "How often a schedule reads the hypervisor hosts' state and capacity",
    default: '60',
    schema: positiveInt.min(5).max(3600),
  },
  installTimeoutSeconds: {
    env: 'BERTH_INSTALL_TIMEOUT_SECONDS',
    description: "How long provisioning waits for a new server's install callback",
    default: '1800',
    schema: positiveInt,
  },
  vmCpus: {
    env: 'BERTH_VM_CPUS',
    description: 'CPUs of a new server',
    default: '1',
    schema: positiveInt.max(64),
  },
  vmMemoryMb: {
    env: 'BERTH_VM_MEMORY_MB',
    description: 'Memory of a new server, MiB',
    default: '1024',
    schema: positiveInt.min(256).max(1_048_576),
  },
  vmDiskGb: {
    env: 'BERTH_VM_DISK_GB',
    description: 'Disk of a new server, GiB',
    default: '20',
    schema: positiveInt.max(65_536),
  },
  dnsZone: {
    env: 'BERTH_DNS_ZONE',
    description: "Zone that holds the servers' host names",
    default: 'sites.berth.test',
    schema: z
      .string()
      .regex(
        /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/,
        'must be a lower-case DNS name',
      ),
  },
  hostnamePattern: {
    env: 'BERTH_HOSTNAME_PATTERN',
    description:
      'Allocated host names inside BERTH_DNS_ZONE: one label with `{n}` for the server number, or `{n:5}` to zero-pad it to five digits',
    default: 'web-{n}',
    schema: z.string().superRefine((text, context) => {
      const pattern = parseHostnamePattern(text);
      if (typeof pattern === 'string') context.addIssue({ code: 'custom', message: pattern });
    }),
  },
  organisationZones: {
    env: 'BERTH_ORGANISATION_ZONES',
    description:
      "Comma-separated DNS zones of the organisation: a site's domain name equal to or under one is approved at once, any other waits for an operator; default BERTH_DNS_ZONE",
    optional: true,
    schema: z
      .string()
      .refine(
        (text) =>
          text
            .split(',')
            .every((zone) =>
              /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(
                zone,
              ),
            ),
        'must be lower-case DNS names of two labels or more, separated by commas',
      ),
  },
  ipv4Pool: {
    env: 'BERTH_IPV4_POOL',
    description:
      'IPv4 network of the pool `default-ipv4`, made at migration when no IPv4 pool exists; its first address is the gateway. Operators manage pools through GraphQL',
    default: '192.0.2.0/24',
    // A /31 or /32 leaves no address to hand out.
    schema: z
      .cidrv4()
      .refine(
        (cidr) => parseCidr(cidr) !== 'host-bits',
        'give the network address: host bits must be zero',
      )
      .refine(
        (cidr) => Number(cidr.split('/')[1]) <= 30,
        'must hold at least two addresses (/30 or larger)',
      ),
  },
  ipv6Pool: {
    env: 'BERTH_IPV6_POOL',
    description:
      'IPv6 network of the pool `default-ipv6`, made at migration when no IPv6 pool exists; its first address is the gateway',
    default: '2001:db8:b0::/64',
    schema: z
      .cidrv6()
      .refine(
        (cidr) => parseCidr(cidr) !== 'host-bits',
        'give the network address: host bits must be zero',
      )
      .refine(
        (cidr) => !cidr.includes('.'),
        'write the prefix in hexadecimal, not with an embedded IPv4 address',
      )
      .refine(
        (cidr) => Number(cidr.split('/')[1]) <= 127,
        'must hold at least one address (/127 or larger)',
      ),
  },
  addressHoldSeconds: {
    env: 'BERTH_ADDRESS_HOLD_SECONDS',
    description:
      "How long a released server's host name and addresses stay out of allocation (1 day), so caches and known_hosts files forget them first",
    default: '86400',
    schema: z.coerce
      .number()
      .int()
      .min(0)
      .max(366 * 24 * 3600),
  },
  dns: {
    env: 'DNS',
    description: `DNS adapter: ${dnsAdapters.map((a) => `\`${a}\``).join(', ')}`,
    default: 'simulated',
    schema: adapter(dnsAdapters),
  },
  powerDnsUrl: {
    env: 'POWERDNS_API_URL',
    description:
      'Base URL of the PowerDNS HTTP API (`http://127.0.0.1:8081`); required with DNS=powerdns',
    optional: true,
    schema: z.url({ protocol: /^https?$/ }),
  },
  powerDnsApiKey: {
    env: 'POWERDNS_API_KEY',
    description: "PowerDNS's `api-key`; required with DNS=powerdns",
    optional: true,
    sensitive: true,
    schema: z.string().min(1).max(200),
  },
  powerDnsServerId: {
    env: 'POWERDNS_SERVER_ID',
    description: 'PowerDNS server id in API paths',
    default: 'localhost',
    schema: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be a plain server id'),
  },
  dnsNameservers: {
    env: 'BERTH_DNS_NAMESERVERS',
    description:
      'Comma-separated NS names for the zones Berth creates; default `ns1.<BERTH_DNS_ZONE>`',
    optional: true,
    schema: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(,[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)*$/,
        'must be lower-case DNS names separated by commas',
      ),
  },
  dnsTtlSeconds: {
    env: 'BERTH_DNS_TTL_SECONDS',
    description: 'TTL of the records Berth publishes for servers',
    default: '3600',
    schema: z.coerce.number().int().min(30).max(86_400),
  },
  dnssec: {
    env: 'BERTH_DNSSEC',
    description: 'Sign the zones Berth manages with DNSSEC (`true` or `false`)',
    default: 'true',
    schema: z.enum(['true', 'false']).transform((text) => text === 'true'),
  },
  dnsReconcileMinutes: {
    env: 'BERTH_DNS_RECONCILE_MINUTES',
    description: 'How often the `dns-reconcile` schedule compares DNS with the database',
    default: '60',
    schema: positiveInt.max(7 * 24 * 60),
  },
  snapshotsPerSite: {
    env: 'BERTH_SNAPSHOTS_PER_SITE',
    description: 'How many snapshots the admins of one site may keep at once',
    default: '2',
    schema: z.coerce.number().int().min(0).max(50),
  },
  backupKeepDaily: {
    env: 'BERTH_BACKUP_KEEP_DAILY',
    description: 'Nightly backups: how many of the most recent days keep their backup',
    default: '7',
    schema: z.coerce.number().int().min(1).max(366),
  },
  backupKeepWeekly: {
    env: 'BERTH_BACKUP_KEEP_WEEKLY',
    description:
      'Nightly backups: how many of the most recent ISO weeks keep their newest backup as well',
    default: '4',
    schema: z.coerce.number().int().min(0).max(104),
  },
  backupTime: {
    env: 'BERTH_BACKUP_TIME',
    description:
      "When each site's nightly backup is due, `HH:MM` or `HH:MM:SS` in UTC, or `off`; each site's is spread after it (BERTH_BACKUP_SPREAD_MINUTES)",
    default: '02:00',
    schema: z
      .string()
      .regex(/^(([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?|off)$/, 'must be HH:MM[:SS] (UTC) or off'),
  },
  backupSpreadMinutes: {
    env: 'BERTH_BACKUP_SPREAD_MINUTES',
    description:
      'Nightly backups: each site starts at its own point this many minutes after BERTH_BACKUP_TIME, so they do not all start at once',
    default: '60',
    schema: z.coerce
      .number()
      .int()
      .min(0)
      .max(12 * 60),
  },
  osReleases: {
    env: 'BERTH_OS_RELEASES',
    description:
      'The Debian suite of each OS image, `image=suite,...`: an upgrade to an image moves the server to its suite',
    default: 'debian-12=bookworm,debian-13=trixie',
    schema: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{0,39}=[a-z][a-z0-9-]{0,39}(,[a-z0-9][a-z0-9.-]{0,39}=[a-z][a-z0-9-]{0,39})*$/,
        'must be image=suite pairs separated by commas',
      ),
  },
  osUpgrades: {
    env: 'BERTH_OS_UPGRADES',
    description:
      'Which images are due an upgrade and to what, `from=to,...` (MWS3: OS_DUE_UPGRADE and NEXT_OS); empty for none',
    default: 'debian-12=debian-13',
    schema: z
      .string()
      .regex(
        /^([a-z0-9][a-z0-9.-]{0,39}=[a-z0-9][a-z0-9.-]{0,39}(,[a-z0-9][a-z0-9.-]{0,39}=[a-z0-9][a-z0-9.-]{0,39})*)?$/,
        'must be from=to image pairs separated by commas',
      ),
  },
  upgradeApprovalDays: {
    env: 'BERTH_UPGRADE_APPROVAL_DAYS',
    description:
      "How long an upgraded test server waits for its site admins' approval before the upgrade is called off",
    default: '14',
    schema: z.coerce.number().positive().max(365),
  },
  upgradeReminderDays: {
    env: 'BERTH_UPGRADE_REMINDER_DAYS',
    description:
      'How long after asking the site admins are reminded that an upgrade awaits approval',
    default: '7',
    schema: z.coerce.number().positive().max(365),
  },
  maxPendingUpgrades: {
    env: 'BERTH_MAX_PENDING_UPGRADES',
    description:
      'OS upgrades that may run at once across the fleet, each holding a test server until approved or called off (MWS3: MAX_PENDING_UPGRADES); past it, upgrades are queued. 0 turns the limit off',
    default: '60',
    schema: z.coerce.number().int().min(0).max(100_000),
  },
  upgradeQueueMinutes: {
    env: 'BERTH_UPGRADE_QUEUE_MINUTES',
    description:
      'How often the `upgrade-queue` schedule starts the queued upgrades there is room for, oldest first',
    default: '10',
    schema: positiveInt.max(24 * 60),
  },
  peopleRefreshMinutes: {
    env: 'BERTH_PEOPLE_REFRESH_MINUTES',
    description:
      "How often the `site-people-refresh` schedule reads sites' directory groups and configures the sites whose users changed",
    default: '60',
    schema: positiveInt.max(7 * 24 * 60),
  },
  dnsRepairDrift: {
    env: 'BERTH_DNS_REPAIR_DRIFT',
    description:
      'When `true`, reconciliation rewrites records that differ from the database and removes stale ones; otherwise it only reports them',
    default: 'false',
    schema: z.enum(['true', 'false']).transform((text) => text === 'true'),
  },
  cancellationGraceSeconds: {
    env: 'BERTH_CANCELLATION_GRACE_SECONDS',
    description: 'How long a cancelled site waits before it is deleted (30 days)',
    default: '2592000',
    schema: positiveInt.max(366 * 24 * 3600),
  },
  siteHistoryLimit: {
    env: 'BERTH_SITE_HISTORY_EVENTS',
    description: "A site's workflow continues as new once its history has this many events",
    default: '10000',
    schema: positiveInt.min(100).max(50_000),
  },
  mail: {
    env: 'MAIL',
    description:
      'How notifications are e-mailed: `smtp` (through SMTP_URL), or `simulated` (written to the log instead; refused by the production profile)',
    default: 'simulated',
    schema: adapter(mailAdapters),
  },
  smtpUrl: {
    env: 'SMTP_URL',
    description:
      '`smtp://[user:password@]host[:port]` (STARTTLS when offered, required for credentials to a host off loopback) or `smtps://...` (TLS from the start); required with MAIL=smtp',
    optional: true,
    sensitive: true,
    schema: z.string().superRefine((text, context) => {
      const problem = smtpUrlProblem(text);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
  },
  smtpTimeoutMs: {
    env: 'SMTP_TIMEOUT_MS',
    description: 'How long the mail server may take to connect, greet and answer each command',
    default: '30000',
    schema: positiveInt.min(100).max(120_000),
  },
  smtpCaFile: {
    env: 'SMTP_CA_FILE',
    description:
      "PEM file of the CA that signed the mail server's certificate; default the system's trusted CAs",
    optional: true,
    schema: z.string().min(1),
  },
  mailFrom: {
    env: 'MAIL_FROM',
    description: 'Sender of notifications, `address` or `Name <address>`',
    default: 'Berth <berth@localhost>',
    schema: z
      .string()
      .max(300)
      .regex(
        /^([^<>\p{Cc}"]{1,100} <[^\s<>@"]+@[^\s<>@"]+>|[^\s<>@"]+@[^\s<>@"]+)$/u,
        'must be an address, or a name and an address in angle brackets',
      ),
  },
  notifyIntervalSeconds: {
    env: 'BERTH_NOTIFY_INTERVAL_SECONDS',
    description: 'How often the `notification-delivery` schedule sends queued notifications',
    default: '60',
    schema: positiveInt.max(3600),
  },
  notifyBatchSize: {
    env: 'BERTH_NOTIFY_BATCH_SIZE',
    description:
      'Notifications one delivery run sends at most (in batches of 20); the rest wait for the next run',
    default: '200',
    schema: positiveInt.max(10_000),
  },
  notifyMaxAttempts: {
    env: 'BERTH_NOTIFY_MAX_ATTEMPTS',
    description:
      'Sends of one notification before it is marked failed, when the mail server keeps failing temporarily',
    default: '12',
    schema: positiveInt.max(100),
  },
  notifyRetrySeconds: {
    env: 'BERTH_NOTIFY_RETRY_SECONDS',
    description:
      'Wait after the first temporary failure to send a notification; it doubles with each further one, up to an hour',
    default: '60',
    schema: positiveInt.max(3600),
  },
  cancellationWarningHours: {
    env: 'BERTH_CANCELLATION_WARNING_HOURS',
    description:
      "Comma-separated lead times, in hours, at which a cancelled site's people are warned before it is deleted",
    default: '168,24',
    schema: z
      .string()
      .regex(/^\d{1,4}(,\d{1,4})*$/, 'must be whole hours separated by commas')
      .refine(
        (text) => text.split(',').every((hours) => Number(hours) > 0),
        'each lead time must be at least one hour',
      ),
  },
  simulatedInstallDelayMs: {
    env: 'BERTH_SIMULATED_INSTALL_MS',
    description:
      'How long the simulated hypervisor takes to "install" a server before it calls back',
    default: '200',
    schema: z.coerce.number().int().min(0).max(600_000),
  },
  simulatedAnsibleTaskMs: {
    env: 'BERTH_SIMULATED_ANSIBLE_TASK_MS',
    description: 'How long each task of a simulated configuration run takes',
    default: '5',
    schema: z.coerce.number().int().min(0).max(60_000),
  },
  workerShutdownGraceSeconds: {
    env: 'BERTH_WORKER_SHUTDOWN_GRACE_SECONDS',
    description: 'How long a stopping worker lets running activities finish',
    default: '30',
    schema: positiveInt.max(3600),
  },
} as const satisfies Record<string, Setting>;

export type SettingKey = keyof typeof settings;
