import { registerEnumType } from '@nestjs/graphql';
import { type SiteStatus } from '../../../libs/domain';

/** GraphQL spelling of the site statuses (upper case), mapped from the domain's. */
export enum SiteStatusEnum {
  REQUESTED = 'requested',
  INSTALLING = 'installing',
  READY = 'ready',
  FAILED = 'failed',
}

registerEnumType(SiteStatusEnum, {
  name: 'SiteStatus',
  description: 'Where a site is in its lifecycle',
});

// Compile-time check that the enum and the domain list agree in both directions.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const siteStatusEnumMatchesDomain: Same<`${SiteStatusEnum}`, SiteStatus> = true;
