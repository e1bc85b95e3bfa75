import { type BerthConfig } from '../../../libs/config';
import { type Orm } from '../../../libs/db/orm';
import { type Logger } from '../../../libs/logger';
import { type Dns } from './port';
import { PowerDnsAdapter } from './powerdns';
import { SimulatedDns } from './simulated/simulated-dns';

/** The one place that knows which DNS adapter runs. */
export function createDns(deps: { config: BerthConfig; orm: Orm; log: Logger }): Dns {
  switch (deps.config.adapters.dns) {
    case 'simulated':
      deps.log.info({ adapter: 'simulated' }, 'using the simulated DNS server');
      return new SimulatedDns(deps.orm);
    case 'powerdns': {
      const settings = deps.config.dns.powerDns;
      if (!settings) throw new Error('DNS=powerdns needs POWERDNS_API_URL and POWERDNS_API_KEY');
      deps.log.info({ adapter: 'powerdns', url: settings.url }, 'using PowerDNS');
      return new PowerDnsAdapter({
        apiUrl: settings.url,
        apiKey: settings.apiKey,
        serverId: settings.serverId,
        nameservers: [...deps.config.dns.nameservers],
      });
    }
  }
}
