import { Entity, Enum, Index, PrimaryKey, Property } from '@mikro-orm/core';

export const configurationRunStatuses = ['running', 'succeeded', 'failed'] as const;
export type ConfigurationRunStatus = (typeof configurationRunStatuses)[number];

/**
 * One run of the configuration tool against a server (one attempt of the `configureServer`
 * activity), with its counts and its output, so an operation's runs can be read afterwards.
 */
@Entity({ tableName: 'configuration_run' })
@Index({ properties: ['operationId', 'startedAt'] })
export class ConfigurationRun {
  /** `<workflow run id>/<activity id>/<attempt>`: a retried report finds its row. */
  @PrimaryKey({ type: 'string', length: 200 })
  id: string;

  @Index()
  @Property({ type: 'string', length: 36 })
  vmId: string;

  @Property({ type: 'string', length: 36, nullable: true })
  siteId: string | null;

  /** The operation the run belongs to, when the workflow named one. */
  @Property({ type: 'string', length: 36, nullable: true })
  operationId: string | null;

  @Enum({ items: () => configurationRunStatuses, type: 'string', length: 10 })
  status: ConfigurationRunStatus = 'running';

  /** The adapter that ran it (`ansible`, `simulated`). */
  @Property({ type: 'string', length: 20 })
  adapter: string;

  @Property({ type: 'integer' })
  ok = 0;

  @Property({ type: 'integer' })
  changed = 0;

  @Property({ type: 'integer' })
  failed = 0;

  @Property({ type: 'integer' })
  unreachable = 0;

  /** The task that failed, and on which host, when the run failed. */
  @Property({ type: 'string', length: 500, nullable: true })
  failedTask: string | null = null;

  @Property({ type: 'string', length: 253, nullable: true })
  failedHost: string | null = null;

  /** The run's output, its end kept when it is longer than the limit. */
  @Property({ type: 'text', lazy: true })
  output = '';

  /**
   * SHA-256 of the site's people (users and unix groups) the run applied (`peopleDigest` in
   * activities/ansible/site-data.ts); the people refresh compares it with the directory's answer.
   */
  @Property({ type: 'string', length: 64, nullable: true })
  peopleDigest: string | null = null;

  @Property({ type: 'datetime' })
  startedAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  finishedAt: Date | null = null;

  constructor(fields: {
    id: string;
    vmId: string;
    siteId: string | null;
    operationId: string | null;
    adapter: string;
  }) {
    this.id = fields.id;
    this.vmId = fields.vmId;
    this.siteId = fields.siteId;
    this.operationId = fields.operationId;
    this.adapter = fields.adapter;
  }
}
