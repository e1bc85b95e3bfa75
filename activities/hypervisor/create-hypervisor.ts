import { type BerthConfig } from '../../libs/config';
import { type Orm } from '../../libs/db/orm';
import { type Logger } from '../../libs/logger';
import { type Hypervisor } from './port';
import { SimulatedHypervisor } from './simulated/simulated-hypervisor';

/** The one place that knows which hypervisor adapter runs. */
export async function createHypervisor(deps: {
  config: BerthConfig;
  orm: Orm;
  log: Logger;
}): Promise<Hypervisor> {
  switch (deps.config.adapters.hypervisor) {
    case 'simulated': {
      const hypervisor = new SimulatedHypervisor(deps.orm, {
        installDelayMs: deps.config.simulated.installDelayMs,
        log: deps.log.child({ adapter: 'simulated-hypervisor' }),
      });
      await hypervisor.start();
      return hypervisor;
    }
  }
}
