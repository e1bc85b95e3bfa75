import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import {
  type NotificationAudience,
  type NotificationKind,
  type NotificationStatus,
} from '../../../libs/domain';
import { PageInfo } from '../sites/site.model';

export enum NotificationKindEnum {
  SITE_READY = 'site-ready',
  CANCELLATION_WARNING = 'cancellation-warning',
  UPGRADE_WAITING_FOR_APPROVAL = 'upgrade-waiting-for-approval',
  CERTIFICATE_EXPIRY = 'certificate-expiry',
  DOMAIN_APPROVAL_NEEDED = 'domain-approval-needed',
  DOMAIN_APPROVAL_GIVEN = 'domain-approval-given',
  DOMAIN_REJECTED = 'domain-rejected',
  HOST_FAILOVER = 'host-failover',
}
registerEnumType(NotificationKindEnum, {
  name: 'NotificationKind',
  description: 'What a notification reports',
});

export enum NotificationStatusEnum {
  QUEUED = 'queued',
  SENT = 'sent',
  FAILED = 'failed',
}
registerEnumType(NotificationStatusEnum, {
  name: 'NotificationStatus',
  valuesMap: {
    QUEUED: { description: 'Waiting to be sent, or to be tried again after a temporary failure' },
    SENT: { description: 'The mail server took it' },
    FAILED: { description: 'Refused for good, or out of attempts' },
  },
});

export enum NotificationAudienceEnum {
  SITE = 'site',
  OPERATORS = 'operators',
}
registerEnumType(NotificationAudienceEnum, {
  name: 'NotificationAudience',
  valuesMap: {
    SITE: { description: "The site's contact address and its admins, as they are when it is sent" },
    OPERATORS: { description: "The operator group's members, as they are when it is sent" },
  },
});

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const notificationEnumsMatchDomain: [
  Same<`${NotificationKindEnum}`, NotificationKind>,
  Same<`${NotificationStatusEnum}`, NotificationStatus>,
  Same<`${NotificationAudienceEnum}`, NotificationAudience>,
] = [true, true, true];

@ObjectType('Notification', {
  description: 'A message to people about a site or the fleet, e-mailed from an outbox (operators)',
})
export class NotificationModel {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { nullable: true })
  siteId!: string | null;

  @Field(() => NotificationKindEnum, {
    nullable: true,
    description: 'Null for a kind this API does not know',
  })
  kind!: NotificationKindEnum | null;

  @Field(() => NotificationStatusEnum)
  status!: NotificationStatusEnum;

  @Field(() => [String], { description: 'Addresses named when it was queued' })
  recipients!: string[];

  @Field(() => NotificationAudienceEnum, {
    nullable: true,
    description: 'Whose addresses are added when it is sent; null: nobody else',
  })
  audience!: NotificationAudienceEnum | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Addresses the mail server took it for, once sent',
  })
  deliveredTo!: string[] | null;

  @Field(() => String)
  subject!: string;

  @Field(() => String, { description: 'Plain text' })
  body!: string;

  @Field(() => Int, { description: 'Sends started' })
  attempts!: number;

  @Field(() => String, {
    nullable: true,
    description: 'Why the last attempt failed, or which recipients were refused',
  })
  lastError!: string | null;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime, { nullable: true })
  sentAt!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true })
  failedAt!: Date | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Not tried again before this time (after a temporary failure)',
  })
  nextAttemptAt!: Date | null;
}

@ObjectType('NotificationEdge')
export class NotificationEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => NotificationModel)
  node!: NotificationModel;
}

@ObjectType('NotificationConnection', { description: 'Notifications, newest first' })
export class NotificationConnection {
  @Field(() => [NotificationEdge])
  edges!: NotificationEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
