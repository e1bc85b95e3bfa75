import { afterEach, describe, expect, it, vi } from 'vitest';
import { serverUnavailable } from '../helpers/require-server';

describe(serverUnavailable.name, () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('gives a skip reason on a developer machine', () => {
    vi.stubEnv('BERTH_REQUIRE_ALL', '');
    expect(serverUnavailable('PostgreSQL', 'not installed')).toBe(
      'PostgreSQL unavailable: not installed',
    );
  });

  it('fails when every server is required, as in CI', () => {
    vi.stubEnv('BERTH_REQUIRE_ALL', '1');
    expect(() => serverUnavailable('PostgreSQL', 'not installed')).toThrow(
      'PostgreSQL is required (BERTH_REQUIRE_ALL=1) but unavailable: not installed',
    );
  });
});
