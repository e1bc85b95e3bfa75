import { type BerthConfig } from '../../libs/config';
import { type Orm } from '../../libs/db/orm';
import { type Logger } from '../../libs/logger';
import { type Hypervisor } from './port';
import { SimulatedHypervisor } from './simulated/simulated-hypervisor';
import { VsphereHypervisor } from './vsphere/vsphere-hypervisor';
import { readFile } from 'node:fs/promises';

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
    case 'vsphere': {
      const settings = deps.config.vsphere;
      if (!settings) throw new Error('HYPERVISOR=vsphere needs the VSPHERE_* settings');
      deps.log.info(
        { adapter: 'vsphere', url: settings.url, cluster: settings.cluster },
        'using the vsphere hypervisor',
      );
      return new VsphereHypervisor({
        url: settings.url,
        username: settings.username,
        password: settings.password,
        caPem: settings.caFile ? await readFile(settings.caFile, 'utf8') : undefined,
        datacenter: settings.datacenter,
        cluster: settings.cluster,
        template: settings.template,
        folder: settings.folder,
        ipv4PrefixLength: Number(deps.config.network.ipv4Pool.split('/')[1]),
      });
    }
  }
}
