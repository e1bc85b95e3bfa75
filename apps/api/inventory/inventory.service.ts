import { Inject, Injectable } from '@nestjs/common';
import { type Orm, forkEm } from '../../../libs/db/orm';
import { ORM } from '../tokens';

/** One server as the inventories show it. */
export interface InventoryServer {
  hostname: string;
  ipv4: string;
  ipv6: string;
  vmId: string;
  status: string;
  hypervisorHost: string | null;
  image: string;
  cpus: number;
  memoryMb: number;
  diskGb: number;
  site: { id: string; name: string; owner: string; status: string } | null;
}

/** Ansible's dynamic inventory format (`--list`), with every host's variables in `_meta`. */
export interface AnsibleInventory {
  _meta: { hostvars: Record<string, Record<string, string | number | null>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleInventory['_meta'];
}

interface ServerRow {
  hostname: string;
  ipv4: string;
  ipv6: string;
  vm_id: string;
  vm_status: string;
  host: string | null;
  image: string;
  cpus: number | string;
  memory_mb: number | string;
  disk_gb: number | string;
  site_id: string | null;
  site_name: string | null;
  owner: string | null;
  site_status: string | null;
}

/**
 * The fleet as inventories see it: every server that holds its addresses, with its site. One
 * statement, however large the fleet; the order is stable (by host name).
 */
@Injectable()
export class InventoryService {
  constructor(@Inject(ORM) private readonly orm: Orm) {}

  async servers(): Promise<InventoryServer[]> {
    const rows = await forkEm(this.orm)
      .getConnection()
      .execute<ServerRow[]>(
        `select n.hostname, n.ipv4, n.ipv6, v.id as vm_id, v.status as vm_status, v.host,
                v.image, v.cpus, v.memory_mb, v.disk_gb,
                s.id as site_id, s.name as site_name, s.owner, s.status as site_status
           from network_config n
           join vm v on v.id = n.vm_id
           left join site s on s.id = v.site_id
          where n.state = 'allocated'
          order by n.hostname`,
      );
    return rows.map((row) => ({
      hostname: row.hostname,
      ipv4: row.ipv4,
      ipv6: row.ipv6,
      vmId: row.vm_id,
      status: row.vm_status,
      hypervisorHost: row.host,
      image: row.image,
      cpus: Number(row.cpus),
      memoryMb: Number(row.memory_mb),
      diskGb: Number(row.disk_gb),
      site:
        row.site_id === null
          ? null
          : {
              id: row.site_id,
              name: row.site_name!,
              owner: row.owner!,
              status: row.site_status!,
            },
    }));
  }

  /**
   * Groups: `berth_sites` (servers of sites) and `berth_pool` (warm-pool servers), and one
   * `status_<status>` group per site status, so `--limit status_ready` reaches live sites only.
   */
  async ansibleInventory(): Promise<AnsibleInventory> {
    const servers = await this.servers();
    const hostvars: AnsibleInventory['_meta']['hostvars'] = {};
    const groups = new Map<string, string[]>([
      ['berth_sites', []],
      ['berth_pool', []],
    ]);
    const add = (group: string, host: string) => {
      const hosts = groups.get(group) ?? [];
      hosts.push(host);
      groups.set(group, hosts);
    };
    for (const server of servers) {
      hostvars[server.hostname] = {
        ansible_host: server.ipv4,
        berth_ipv6: server.ipv6,
        berth_vm_id: server.vmId,
        berth_site_id: server.site?.id ?? null,
        berth_site_status: server.site?.status ?? null,
        berth_hypervisor_host: server.hypervisorHost,
      };
      add(server.site ? 'berth_sites' : 'berth_pool', server.hostname);
      if (server.site) add(`status_${server.site.status.replace(/-/g, '_')}`, server.hostname);
    }
    const inventory: AnsibleInventory = {
      _meta: { hostvars },
      all: { children: [...groups.keys()].sort() },
    };
    for (const [group, hosts] of groups) inventory[group] = { hosts };
    return inventory;
  }
}
