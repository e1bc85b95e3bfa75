import { type FilterQuery } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import {
  hasScope,
  isOperator,
  type Principal,
  reachesSite,
  type Scope,
} from '../../../libs/auth/principal';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { SiteRole } from '../../../libs/domain';
import { ORM } from '../tokens';
import { forbidden } from './authenticate';

/**
 * Who may see and change which site: operators every site; anyone else the sites where they, or
 * one of their groups, hold the admin role. Each check also needs the credential's scope, and a
 * credential limited to some sites (a per-site API token) reaches those only.
 */
@Injectable()
export class SiteAccessService {
  constructor(@Inject(ORM) private readonly orm: Orm) {}

  requireScope(principal: Principal, scope: Scope): void {
    if (!hasScope(principal, scope)) throw forbidden(`this credential lacks the ${scope} scope`);
  }

  requireOperator(principal: Principal): void {
    if (!isOperator(principal)) throw forbidden('only operators may do this');
  }

  /** Site ids the caller administers; undefined means every site (an operator). */
  async administeredSiteIds(principal: Principal): Promise<string[] | undefined> {
    if (isOperator(principal)) return undefined;
    if (principal.siteIds?.length === 0) return [];
    const roles = await forkEm(this.orm).find(SiteRole, adminRolesOf(principal), {
      fields: ['siteId'],
    });
    return [...new Set(roles.map((role) => role.siteId))];
  }

  /** One statement that looks at this site's roles only, however many sites the caller has. */
  async canAdminister(principal: Principal, siteId: string): Promise<boolean> {
    if (isOperator(principal)) return true;
    if (!reachesSite(principal, siteId)) return false;
    const role = await forkEm(this.orm).findOne(
      SiteRole,
      { $and: [{ siteId }, adminRolesOf(principal)] },
      { fields: ['id'] },
    );
    return role !== null;
  }
}

/** The admin roles held by the caller or by one of their groups. */
function adminRolesOf(principal: Principal): FilterQuery<SiteRole> {
  return {
    role: 'admin',
    ...(principal.siteIds !== undefined ? { siteId: { $in: principal.siteIds } } : {}),
    $or: [
      { subjectType: 'user', subject: principal.userId },
      ...(principal.groups.length > 0
        ? [{ subjectType: 'group' as const, subject: { $in: principal.groups } }]
        : []),
    ],
  };
}
