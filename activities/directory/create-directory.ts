import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BerthConfig } from '../../libs/config';
import { type Logger } from '../../libs/logger';
import { FileDirectory } from './file/file-directory';
import { LdapDirectory } from './ldap/ldap-directory';
import { type Directory } from './port';

/** The example directory the embedded profile starts with (alice, bob, carol, olivia). */
export const exampleDirectoryFile = join(__dirname, 'file/example-directory.yml');

/** The one place that knows which directory adapter runs. */
export async function createDirectory(deps: {
  config: BerthConfig;
  log: Logger;
}): Promise<Directory> {
  switch (deps.config.adapters.directory) {
    case 'file': {
      const file = deps.config.directory.file ?? exampleDirectoryFile;
      deps.log.info({ adapter: 'file', file }, 'using a file as the directory');
      return new FileDirectory(file);
    }
    case 'ldap': {
      const settings = deps.config.directory.ldap;
      if (!settings) throw new Error('DIRECTORY=ldap needs the LDAP_* settings');
      deps.log.info({ adapter: 'ldap', url: settings.url }, 'using an LDAP directory');
      return new LdapDirectory({
        url: settings.url,
        bindDn: settings.bindDn,
        bindPassword: settings.bindPassword,
        userBase: settings.userBase,
        groupBase: settings.groupBase,
        userFilter: settings.userFilter,
        groupFilter: settings.groupFilter,
        memberAttribute: settings.memberAttribute,
        timeoutMs: settings.timeoutMs,
        caPem: settings.caFile ? await readFile(settings.caFile, 'utf8') : undefined,
      });
    }
  }
}
