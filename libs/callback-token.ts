import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The per-VM secret a server presents when its installer calls back. It is derived from the
 * deployment's secret key and the VM id, so it is the same on every retry of VM creation, needs no
 * storage, and never passes through workflow history.
 */
export function callbackToken(secretKey: Buffer, vmId: string): string {
  return createHmac('sha256', secretKey).update(`berth/vm-callback/${vmId}`).digest('base64url');
}

export function verifyCallbackToken(secretKey: Buffer, vmId: string, presented: string): boolean {
  const expected = Buffer.from(callbackToken(secretKey, vmId));
  const given = Buffer.from(presented);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
