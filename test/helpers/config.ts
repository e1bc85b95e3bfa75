import { randomBytes } from 'node:crypto';
import { type BerthConfig, loadConfig } from '../../libs/config';
import { type Database } from '../../libs/db/orm';

/** A valid configuration for tests: embedded profile, the given database and Temporal server. */
export function testConfig(options: {
  database: Database;
  temporalAddress: string;
  apiPort?: number;
  env?: Record<string, string>;
}): BerthConfig {
  const env: Record<string, string> = {
    BERTH_PROFILE: 'embedded',
    BERTH_DATA_DIR: '/nonexistent/berth-test-data',
    DATABASE_URL:
      options.database.driver === 'sqlite'
        ? `sqlite:${options.database.path}`
        : options.database.url,
    TEMPORAL_ADDRESS: options.temporalAddress,
    BERTH_SECRET_KEY: randomBytes(32).toString('base64'),
    BERTH_API_PORT: String(options.apiPort ?? 4000),
    BERTH_LOG_LEVEL: process.env.BERTH_TEST_LOG_LEVEL ?? 'silent',
    BERTH_SIMULATED_INSTALL_MS: '50',
    // No warm pool unless a test asks for one: building pool VMs in the background would change
    // the counts other tests assert.
    BERTH_POOL_TARGETS: 'debian-12=0',
    // Nor nightly backups: a test running past 02:00 UTC would find snapshots it did not take.
    BERTH_BACKUP_TIME: 'off',
    // Every test request comes from 127.0.0.1, so per-address limits would make one test's
    // refused credentials another's 429s; test/e2e/edge.spec.ts turns them on.
    BERTH_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '0',
    BERTH_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
    ...options.env,
  };
  return loadConfig(env);
}
