import { describe, expect, it } from 'vitest';
import {
  certificateStatuses,
  IllegalCertificateTransitionError,
  transitionCertificate,
} from '../../../libs/domain';

describe(transitionCertificate.name, () => {
  it('lets an upload activate a certificate from any status', () => {
    for (const from of certificateStatuses)
      expect(transitionCertificate(from, 'active')).toBe('active');
  });

  it('expires only an active certificate, and replaces only an installed one', () => {
    expect(transitionCertificate('active', 'expired')).toBe('expired');
    expect(transitionCertificate('expired', 'replaced')).toBe('replaced');
    for (const [from, to] of [
      ['requested', 'expired'],
      ['replaced', 'expired'],
      ['expired', 'expired'],
      ['requested', 'replaced'],
      ['active', 'requested'],
    ] as const) {
      expect(() => transitionCertificate(from, to), `${from} → ${to}`).toThrow(
        IllegalCertificateTransitionError,
      );
    }
  });
});
