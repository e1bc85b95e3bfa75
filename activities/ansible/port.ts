/**
 * The Ansible port: brings a server's configuration in line with its site. A run is idempotent:
 * running it again on an unchanged site changes nothing.
 */
export interface Ansible {
  /** Adapter name as configured (`simulated`, later `ansible`). */
  readonly name: string;
  configure(target: ConfigurationTarget, onProgress: (task: string) => void): Promise<RunSummary>;
}

export interface ConfigurationTarget {
  vmId: string;
  siteId: string | null;
  hostname: string;
  ipv4: string;
  ipv6: string;
}

export interface RunSummary {
  ok: number;
  changed: number;
}
