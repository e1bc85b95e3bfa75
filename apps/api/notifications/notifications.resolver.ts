import { Args, Query, Resolver } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { SiteAccessService } from '../auth/site-access.service';
import { NotificationConnection } from './notification.model';
import { NotificationsArgs } from './notifications.args';
import { NotificationsService } from './notifications.service';

/** The notification outbox, for operators following what Berth told people and whether it went. */
@Resolver()
export class NotificationsResolver {
  constructor(
    private readonly outbox: NotificationsService,
    private readonly access: SiteAccessService,
  ) {}

  @Query(() => NotificationConnection, {
    description: 'Notifications queued, sent or failed, newest first (operators)',
  })
  notifications(
    @CurrentPrincipal() principal: Principal,
    @Args() args: NotificationsArgs,
  ): Promise<NotificationConnection> {
    this.access.requireScope(principal, 'sites:read');
    this.access.requireOperator(principal);
    return this.outbox.list(args.first, args.after ?? null, args.filter);
  }
}
