import { type BerthConfig } from '../libs/config';
import { type Orm } from '../libs/db/orm';
import { type Logger } from '../libs/logger';
import { createAnsibleActivities } from './ansible/activities';
import { createFleetActivities } from './fleet/activities';
import { createAnsible } from './ansible/create-ansible';
import { createHypervisorActivities } from './hypervisor/activities';
import { createHypervisor } from './hypervisor/create-hypervisor';
import { type Hypervisor } from './hypervisor/port';
import { createNetworkActivities } from './network/activities';
import { createPoolActivities } from './pool/activities';
import { createRecordsActivities } from './records/activities';

/** Every activity the worker registers, wired to the adapters the configuration chooses. */
export async function createActivities(deps: { config: BerthConfig; orm: Orm; log: Logger }) {
  const hypervisor: Hypervisor = await createHypervisor(deps);
  const ansible = createAnsible(deps.config);
  deps.log.info({ hypervisor: hypervisor.name, ansible: ansible.name }, 'adapters chosen');
  const activities = {
    ...createRecordsActivities({ orm: deps.orm }),
    ...createNetworkActivities({ orm: deps.orm, network: deps.config.network }),
    ...createHypervisorActivities({
      hypervisor,
      orm: deps.orm,
      secretKey: deps.config.secretKey,
      publicUrl: deps.config.api.publicUrl,
    }),
    ...createAnsibleActivities({ ansible }),
    ...createPoolActivities({ orm: deps.orm }),
    ...createFleetActivities({ hypervisor, orm: deps.orm }),
  };
  return { activities, close: () => hypervisor.close() };
}
