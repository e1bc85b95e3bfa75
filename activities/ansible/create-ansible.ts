import { type BerthConfig } from '../../libs/config';
import { type Ansible } from './port';
import { SimulatedAnsible } from './simulated/simulated-ansible';

/** The one place that knows which configuration adapter runs. */
export function createAnsible(config: BerthConfig): Ansible {
  switch (config.adapters.ansible) {
    case 'simulated':
      return new SimulatedAnsible(config.simulated.ansibleTaskMs);
  }
}
