import { type BerthConfig } from '../libs/config';
import { type Orm } from '../libs/db/orm';
import { type Logger } from '../libs/logger';
import { createAnsibleActivities } from './ansible/activities';
import { createBackupActivities } from './backups/activities';
import { createCertificateActivities } from './certificates/activities';
import { createDirectory } from './directory/create-directory';
import { createFleetActivities } from './fleet/activities';
import { createAnsible } from './ansible/create-ansible';
import { createHypervisorActivities } from './hypervisor/activities';
import { createHypervisor } from './hypervisor/create-hypervisor';
import { type Hypervisor } from './hypervisor/port';
import { createHostKeyActivities } from './keys/activities';
import { createNetworkActivities } from './network/activities';
import { createNotifyActivities } from './notify/activities';
import { createMailer } from './notify/create-mailer';
import { createPeopleActivities } from './people/activities';
import { createSiteRequestActivities } from './site-requests/activities';
import { lazyTemporalClient } from '../libs/temporal/lazy-client';
import { createDnsActivities } from './network/dns-activities';
import { createDns } from './network/dns/create-dns';
import { createPoolActivities } from './pool/activities';
import { createRecordsActivities } from './records/activities';
import { createSnapshotActivities } from './snapshots/activities';
import { createSupportActivities } from './support/activities';
import { createTestServerActivities } from './test-servers/activities';
import { createUpgradeQueueActivities } from './upgrade-queue/activities';

/** Every activity the worker registers, wired to the adapters the configuration chooses. */
export async function createActivities(deps: { config: BerthConfig; orm: Orm; log: Logger }) {
  const hypervisor: Hypervisor = await createHypervisor(deps);
  const ansible = createAnsible(deps.config);
  const dns = createDns(deps);
  const directory = await createDirectory(deps);
  const mailer = await createMailer(deps);
  deps.log.info(
    {
      hypervisor: hypervisor.name,
      ansible: ansible.name,
      dns: dns.name,
      directory: directory.name,
      mail: mailer.name,
    },
    'adapters chosen',
  );
  const temporal = lazyTemporalClient(deps.config);
  const activities = {
    ...createRecordsActivities({ orm: deps.orm }),
    ...createNetworkActivities({ orm: deps.orm, network: deps.config.network }),
    ...createDnsActivities({
      dns,
      orm: deps.orm,
      network: deps.config.network,
      settings: deps.config.dns,
    }),
    ...createHostKeyActivities({ orm: deps.orm, secretKey: deps.config.secretKey }),
    ...createHypervisorActivities({
      hypervisor,
      orm: deps.orm,
      secretKey: deps.config.secretKey,
      publicUrl: deps.config.api.publicUrl,
    }),
    ...createAnsibleActivities({
      ansible,
      orm: deps.orm,
      secretKey: deps.config.secretKey,
      directory,
      osReleases: deps.config.os.releases,
    }),
    ...createSnapshotActivities({
      hypervisor,
      orm: deps.orm,
      maxPerSite: deps.config.provisioning.snapshotsPerSite,
    }),
    ...createBackupActivities({ hypervisor, orm: deps.orm, policy: deps.config.backups }),
    ...createTestServerActivities({ hypervisor, orm: deps.orm }),
    ...createCertificateActivities({ orm: deps.orm }),
    ...createPoolActivities({ orm: deps.orm }),
    ...createFleetActivities({ hypervisor, orm: deps.orm }),
    ...createPeopleActivities({ orm: deps.orm, directory, temporal }),
    ...createSiteRequestActivities({ orm: deps.orm, config: deps.config, temporal }),
    ...createUpgradeQueueActivities({ orm: deps.orm, config: deps.config, temporal }),
    ...createSupportActivities({ orm: deps.orm, temporal }),
    ...createNotifyActivities({
      orm: deps.orm,
      mailer,
      directory,
      from: deps.config.mail.from,
      operatorGroup: deps.config.directory.operatorGroup,
      maxAttempts: deps.config.notifications.maxAttempts,
      retrySeconds: deps.config.notifications.retrySeconds,
    }),
  };
  return {
    activities,
    close: async () => {
      await hypervisor.close();
      await dns.close();
      await temporal.close();
      await directory.close();
      await mailer.close();
    },
  };
}
