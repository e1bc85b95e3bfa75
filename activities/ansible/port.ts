import { type SiteSecrets, type SiteVars } from './site-data';

/**
 * The Ansible port: brings a server's configuration in line with its site, and upgrades its OS in
 * place. A run is idempotent: running it again on an unchanged site changes nothing.
 */
export interface Ansible {
  /** Adapter name as configured (`simulated`, `ansible`). */
  readonly name: string;
  /**
   * Runs the configuration once. Resolves with the counts and the output when every host
   * succeeded; rejects with a ConfigurationRunError otherwise, and with the signal's reason once
   * `signal` aborts (after the run's processes are gone).
   */
  configure(request: ConfigurationRequest, control: RunControl): Promise<RunReport>;
  /**
   * Upgrades the server's operating system in place to `release` (a Debian suite: `trixie`),
   * restarting it into the release, then leaves it running. Idempotent: a server already on the
   * release changes nothing. Rejects like `configure`.
   */
  upgrade(request: UpgradeRequest, control: RunControl): Promise<RunReport>;
}

/** An in-place OS upgrade of one server. */
export interface UpgradeRequest {
  target: ConfigurationTarget;
  release: string;
}

export interface ConfigurationTarget {
  vmId: string;
  siteId: string | null;
  hostname: string;
  ipv4: string;
  ipv6: string;
}

/** A run's server and the site's data: data only, never text to template or quote. */
export interface ConfigurationRequest {
  target: ConfigurationTarget;
  vars: SiteVars;
  secrets: SiteSecrets;
}

export interface RunControl {
  /** Called with each task's name as it starts. */
  onProgress(task: string): void;
  signal?: AbortSignal;
}

/** Counts over all hosts, as ansible's recap reports them (`ok` includes `changed`). */
export interface RunSummary {
  ok: number;
  changed: number;
  failed: number;
  unreachable: number;
}

export interface RunReport extends RunSummary {
  /** The run's output, its end kept when long, secrets' values redacted. */
  output: string;
}

/** A run that did not succeed: a task failed, a host was unreachable, or the tool crashed. */
export class ConfigurationRunError extends Error {
  constructor(
    message: string,
    readonly report: RunReport & { failedTask: string | null; failedHost: string | null },
  ) {
    super(message);
    this.name = 'ConfigurationRunError';
  }
}
