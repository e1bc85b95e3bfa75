import { Inject, Injectable } from '@nestjs/common';
import DataLoader from 'dataloader';
import { type Principal } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { NetworkConfig, Service, SiteBackup, Vm } from '../../../libs/domain';
import { mustQueue, upgradeRoom, upgradeTarget } from '../../../libs/upgrades/upgrade-queue';
import { type SiteChange } from '../../../workflows/site.messages';
import { SiteChangesService } from '../sites/site-changes.service';
import { BERTH_CONFIG, ORM } from '../tokens';
import { type TestServerModel } from './test-server.model';
import {
  BackupNotFoundError,
  NoTestServerError,
  TestServerExistsError,
  type TestServerResult,
  UpgradeNotDueError,
} from './test-server.payload';

/** The site changes this service sends. */
export type TestServerChange = Extract<
  SiteChange['kind'],
  | 'create-test-server'
  | 'restore-backup'
  | 'switch-test-server'
  | 'delete-test-server'
  | 'back-up'
  | 'upgrade'
  | 'approve-upgrade'
  | 'cancel-upgrade'
>;

/**
 * The test server, backups and OS upgrades of a site. Each request is checked against the
 * records here, so a client gets a typed answer at once (TEST_SERVER_EXISTS, NO_TEST_SERVER,
 * BACKUP_NOT_FOUND, UPGRADE_NOT_DUE), and is then sent to the site workflow as a change, whose
 * validator has the last word (two requests may pass here together). An upgrade past the fleet's
 * cap (BERTH_MAX_PENDING_UPGRADES) is queued instead, and calling it off withdraws it.
 */
@Injectable()
export class TestServersService {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly changes: SiteChangesService,
  ) {}

  async change(
    principal: Principal,
    kind: TestServerChange,
    input: { siteId: string; idempotencyKey?: string; date?: string },
  ): Promise<TestServerResult> {
    const key = input.idempotencyKey ?? null;
    const repeated = await this.changes.isRepeat(input);
    let change: SiteChange;
    if (kind === 'restore-backup') change = { kind, name: input.date! };
    else if (kind === 'upgrade') {
      const image = await upgradeTarget(forkEm(this.orm), input.siteId, this.config.os.upgrades);
      if (image === undefined && !repeated) {
        return new UpgradeNotDueError('the site’s server runs an OS image with no upgrade');
      }
      change = { kind, image: image ?? '' };
    } else change = { kind };
    if (!repeated) {
      const refused = await this.refusal(change, input.siteId);
      if (refused) return refused;
      if (change.kind === 'upgrade') {
        const room = await upgradeRoom(forkEm(this.orm), this.config.os.maxPendingUpgrades);
        if (mustQueue(room)) return this.changes.enqueue(principal, input.siteId, change, key);
      }
      if (change.kind === 'cancel-upgrade') {
        const withdrawn = await this.changes.withdrawQueued(principal, input.siteId, key);
        if (withdrawn) return withdrawn;
      }
    }
    return this.changes.change(principal, input.siteId, change, key);
  }

  /** The site's test server, if it has one; batched per request by the resolver's loader. */
  loader(): DataLoader<string, TestServerModel | null> {
    return new DataLoader(async (siteIds) => {
      const em = forkEm(this.orm);
      const services = await em.find(Service, {
        siteId: { $in: [...new Set(siteIds)] },
        kind: 'test',
        vmId: { $ne: null },
      });
      const vmIds = services.map((service) => service.vmId!);
      const [vms, networks] = vmIds.length
        ? await Promise.all([
            em.find(Vm, { id: { $in: vmIds } }),
            em.find(NetworkConfig, { vmId: { $in: vmIds }, state: 'allocated' }),
          ])
        : [[], []];
      return siteIds.map((siteId) => {
        const vmId = services.find((service) => service.siteId === siteId)?.vmId;
        const vm = vms.find((row) => row.id === vmId);
        const network = networks.find((row) => row.vmId === vmId);
        if (!vm || !network) return null;
        return {
          hostname: network.hostname,
          ipv4: network.ipv4,
          ipv6: network.ipv6,
          image: vm.image,
          status: vm.status,
        };
      });
    });
  }

  private async refusal(change: SiteChange, siteId: string): Promise<TestServerResult | undefined> {
    const em = forkEm(this.orm);
    const test = await em.findOne(Service, { siteId, kind: 'test', vmId: { $ne: null } });
    switch (change.kind) {
      case 'create-test-server':
      case 'restore-backup':
        if (test) return new TestServerExistsError('the site has a test server; delete it first');
        if (
          change.kind === 'restore-backup' &&
          (await em.count(SiteBackup, { siteId, name: change.name })) === 0
        ) {
          return new BackupNotFoundError(`the site has no backup of ${change.name}`);
        }
        return undefined;
      case 'switch-test-server':
      case 'delete-test-server':
        return test ? undefined : new NoTestServerError('the site has no test server');
      default:
        return undefined;
    }
  }
}
