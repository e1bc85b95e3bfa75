import { HypervisorError, type HypervisorErrorKind } from '../errors';

/**
 * vim25 fault names (a fault's `xsi:type`) by the kind of error Berth makes of them. A fault not
 * listed counts as the server's failure and is retried (HypervisorUnavailable), within the
 * activity's bounded retry policy.
 */
const faultKinds: Record<string, HypervisorErrorKind> = {
  // The object is gone, or never was.
  ManagedObjectNotFound: 'HypervisorNotFound',
  NotFound: 'HypervisorNotFound',
  FileNotFound: 'HypervisorNotFound',
  // Someone else's task holds the object, or a solution disabled the method for a while.
  TaskInProgress: 'HypervisorBusy',
  ConcurrentAccess: 'HypervisorBusy',
  MethodDisabled: 'HypervisorBusy',
  ResourceInUse: 'HypervisorBusy',
  // The object's state forbids the call.
  InvalidPowerState: 'HypervisorInvalidState',
  InvalidState: 'HypervisorInvalidState',
  InvalidHostState: 'HypervisorInvalidState',
  HostNotConnected: 'HypervisorInvalidState',
  DisallowedOperationOnFailoverHost: 'HypervisorInvalidState',
  CustomizationPending: 'HypervisorInvalidState',
  // A guest shutdown or reboot needs VMware Tools running in the guest.
  ToolsUnavailable: 'HypervisorInvalidState',
  // Nowhere to put it.
  InsufficientResourcesFault: 'NoCapacity',
  InsufficientHostCapacityFault: 'NoCapacity',
  InsufficientCpuResourcesFault: 'NoCapacity',
  InsufficientMemoryResourcesFault: 'NoCapacity',
  NoDiskSpace: 'NoCapacity',
  // Credentials, permissions, licences.
  InvalidLogin: 'HypervisorDenied',
  NotAuthenticated: 'HypervisorDenied',
  NoPermission: 'HypervisorDenied',
  RestrictedVersion: 'HypervisorDenied',
  // Berth asked for something the server cannot do as asked.
  InvalidArgument: 'HypervisorInvalidRequest',
  InvalidRequest: 'HypervisorInvalidRequest',
  InvalidType: 'HypervisorInvalidRequest',
  InvalidProperty: 'HypervisorInvalidRequest',
  InvalidName: 'HypervisorInvalidRequest',
  DuplicateName: 'HypervisorInvalidRequest',
  AlreadyExists: 'HypervisorInvalidRequest',
  NotSupported: 'HypervisorInvalidRequest',
  NicSettingMismatch: 'HypervisorInvalidRequest',
};

/** The kind Berth gives a vim25 fault. */
export function kindOfFault(fault: string): HypervisorErrorKind {
  return faultKinds[fault] ?? 'HypervisorUnavailable';
}

/** A fault answered by vSphere (directly or as a task's error) as a HypervisorError. */
export function faultError(fault: string, message: string): HypervisorError {
  return new HypervisorError(kindOfFault(fault), `vSphere fault ${fault}: ${message}`, { fault });
}

/** TLS verification failures: the configured CA does not vouch for the server. */
const untrustedCodes = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A failure to exchange a request at all (refused, reset, timed out, untrusted certificate). */
export function transportError(method: string, error: Error): HypervisorError {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && untrustedCodes.has(code)) {
    // Retrying cannot fix trust: the configured CA must change.
    return new HypervisorError(
      'HypervisorDenied',
      `vSphere's TLS certificate is not trusted (${code}); check VSPHERE_CA_FILE`,
      { cause: error },
    );
  }
  return new HypervisorError(
    'HypervisorUnavailable',
    `vSphere did not answer ${method}: ${typeof code === 'string' ? code : error.message}`,
    { cause: error },
  );
}
