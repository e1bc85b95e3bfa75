/**
 * The policy for integration tests whose real server is not installed here: skip them on a
 * developer's machine, but fail them in CI (BERTH_REQUIRE_ALL=1), where a skip would let a
 * missing install step pass unnoticed.
 *
 * Returns the skip reason for `describe.skipIf(reason)`, or throws when every server is required.
 */
export function serverUnavailable(name: string, reason: string): string {
  if (process.env.BERTH_REQUIRE_ALL === '1') {
    throw new Error(`${name} is required (BERTH_REQUIRE_ALL=1) but unavailable: ${reason}`);
  }
  return `${name} unavailable: ${reason}`;
}
