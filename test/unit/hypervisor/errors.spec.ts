import { describe, expect, it } from 'vitest';
import { hypervisorFailure } from '../../../activities/hypervisor/activities';
import {
  HypervisorError,
  hypervisorErrorKinds,
  type HypervisorErrorKind,
} from '../../../activities/hypervisor/errors';
import {
  faultError,
  kindOfFault,
  transportError,
} from '../../../activities/hypervisor/vsphere/faults';
import { failureTypes, nonRetryableFailureTypes } from '../../../libs/failures';

const kinds = Object.keys(hypervisorErrorKinds) as HypervisorErrorKind[];

describe('hypervisor errors', () => {
  it('are failure types that workflows retry exactly when the kind says a retry helps', () => {
    for (const kind of kinds) {
      expect(failureTypes).toContain(kind);
      expect(nonRetryableFailureTypes.includes(kind)).toBe(!hypervisorErrorKinds[kind].retryable);
    }
  });

  it.each(kinds)('become a %s failure with the same retry decision', (kind) => {
    const failure = hypervisorFailure(
      'powering server x on failed',
      new HypervisorError(kind, 'why'),
    );
    expect(failure.type).toBe(kind);
    expect(failure.nonRetryable).toBe(!hypervisorErrorKinds[kind].retryable);
    expect(failure.message).toBe('powering server x on failed: why');
  });

  it('treat an error that is not a HypervisorError as the hypervisor being unavailable', () => {
    const failure = hypervisorFailure('creating server x failed', new TypeError('bug'));
    expect(failure).toMatchObject({ type: 'HypervisorUnavailable', nonRetryable: false });
  });
});

describe('vim25 fault mapping', () => {
  it.each([
    ['ManagedObjectNotFound', 'HypervisorNotFound'],
    ['TaskInProgress', 'HypervisorBusy'],
    ['MethodDisabled', 'HypervisorBusy'],
    ['InvalidPowerState', 'HypervisorInvalidState'],
    ['HostNotConnected', 'HypervisorInvalidState'],
    ['ToolsUnavailable', 'HypervisorInvalidState'],
    ['InsufficientResourcesFault', 'NoCapacity'],
    ['InvalidLogin', 'HypervisorDenied'],
    ['NoPermission', 'HypervisorDenied'],
    ['InvalidArgument', 'HypervisorInvalidRequest'],
    ['DuplicateName', 'HypervisorInvalidRequest'],
    ['HostCommunication', 'HypervisorUnavailable'],
    ['SomeFaultNobodyListed', 'HypervisorUnavailable'],
  ] as const)('maps %s to %s', (fault, kind) => {
    expect(kindOfFault(fault)).toBe(kind);
    const error = faultError(fault, 'message');
    expect(error).toMatchObject({ kind, fault, retryable: hypervisorErrorKinds[kind].retryable });
  });

  it('refuses an untrusted certificate for good, and retries a refused connection', () => {
    const untrusted = Object.assign(new Error('self-signed'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(transportError('Login', untrusted)).toMatchObject({
      kind: 'HypervisorDenied',
      retryable: false,
    });
    const refused = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    expect(transportError('Login', refused)).toMatchObject({
      kind: 'HypervisorUnavailable',
      retryable: true,
    });
  });
});
