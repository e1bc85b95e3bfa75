import { existsSync } from 'node:fs';
import { type BerthConfig } from '../../libs/config';
import { AnsiblePlaybook } from './ansible-playbook/ansible-playbook';
import {
  ansibleConfigFor,
  callbackPluginFolder,
  defaultPlaybook,
  findAnsiblePlaybook,
  readHostVars,
  upgradePlaybook,
} from './ansible-playbook/locations';
import { type Ansible } from './port';
import { SimulatedAnsible } from './simulated/simulated-ansible';

/**
 * The one place that knows which configuration adapter runs. The `ansible` adapter's executable,
 * playbook and host variables are checked here, so a worker that could not run them stops at
 * start-up with the reason.
 */
export function createAnsible(config: BerthConfig): Ansible {
  switch (config.adapters.ansible) {
    case 'simulated':
      return new SimulatedAnsible(config.simulated.ansibleTaskMs);
    case 'ansible': {
      const executable = findAnsiblePlaybook({
        configured: config.ansible.executable,
        pathEnv: process.env.PATH,
      });
      if (executable === undefined) {
        throw new Error(
          config.ansible.executable
            ? `ansible-playbook not found: BERTH_ANSIBLE_PLAYBOOK_BIN=${config.ansible.executable} is not an executable file`
            : 'ansible-playbook not found: set BERTH_ANSIBLE_PLAYBOOK_BIN, run scripts/setup to install it into tools/, or put it on PATH',
        );
      }
      const playbook = config.ansible.playbook ?? defaultPlaybook();
      if (!existsSync(playbook)) throw new Error(`the playbook ${playbook} does not exist`);
      // Always the repository's: BERTH_ANSIBLE_PLAYBOOK names the site's playbook only.
      const upgrade = upgradePlaybook();
      if (!existsSync(upgrade)) throw new Error(`the playbook ${upgrade} does not exist`);
      return new AnsiblePlaybook({
        executable,
        playbooks: {
          configure: { path: playbook, ansibleConfig: ansibleConfigFor(playbook) },
          upgrade: { path: upgrade, ansibleConfig: ansibleConfigFor(upgrade) },
        },
        callbackPlugins: callbackPluginFolder(),
        hostVars: readHostVars(config.ansible.hostVarsFile),
        killGraceMs: config.ansible.killGraceSeconds * 1000,
      });
    }
  }
}
