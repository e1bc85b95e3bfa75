import { registerEnumType } from '@nestjs/graphql';
import { type SiteStatus } from '../../../libs/domain';

/** GraphQL spelling of the site statuses (upper case), mapped from the domain's. */
export enum SiteStatusEnum {
  REQUESTED = 'requested',
  INSTALLING = 'installing',
  READY = 'ready',
  CONFIGURING = 'configuring',
  CONFIGURING_QUEUED = 'configuring-queued',
  DISABLED = 'disabled',
  SUSPENDED = 'suspended',
  QUARANTINED = 'quarantined',
  CANCELLED = 'cancelled',
  DELETED = 'deleted',
  FAILED = 'failed',
}

registerEnumType(SiteStatusEnum, {
  name: 'SiteStatus',
  description: 'Where a site is in its lifecycle',
});

// Compile-time check that the enum and the domain list agree in both directions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const siteStatusEnumMatchesDomain: Same<`${SiteStatusEnum}`, SiteStatus> = true;
