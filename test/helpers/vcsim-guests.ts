import { guestinfo } from '../../activities/hypervisor/vsphere/vsphere-hypervisor';
import { VimClient } from '../../activities/hypervisor/vsphere/vim-client';
import { list, text } from '../../activities/hypervisor/vsphere/xml';
import { type Vcsim } from './vcsim';

export interface VcsimGuests {
  /** Berth VM ids whose install callback was accepted. */
  readonly reported: ReadonlySet<string>;
  /** Berth VM ids that fetched their host keys before reporting the install. */
  readonly fetchedKeys: ReadonlySet<string>;
  stop(): Promise<void>;
}

/**
 * Plays the part of a Berth template's first-boot script in every VM vcsim runs: once a VM is
 * powered on, it reads the callback URL and token from the VM's guestinfo (as
 * `vmtoolsd --cmd "info-get guestinfo.berth.callback-url"` would inside the guest), fetches its
 * host keys from `<url>/host-keys` and calls the API, retrying until it is heard. vcsim has no guests, so a test needs this to finish installs.
 */
export function startVcsimGuests(vcsim: Vcsim, intervalMs = 200): VcsimGuests {
  const client = new VimClient({
    url: vcsim.url,
    username: vcsim.username,
    password: vcsim.password,
    caPem: vcsim.caPem,
  });
  const reported = new Set<string>();
  const fetchedKeys = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const vms = await client.retrieveAll('VirtualMachine', [
          'runtime.powerState',
          'config.extraConfig',
        ]);
        for (const properties of vms.values()) {
          if (text(properties.get('runtime.powerState')) !== 'poweredOn') continue;
          const extra = new Map(
            list(properties.get('config.extraConfig'), 'OptionValue').map((entry) => [
              text(entry, 'key'),
              text(entry, 'value'),
            ]),
          );
          const vmId = extra.get(guestinfo.vmId);
          const url = extra.get(guestinfo.callbackUrl);
          const token = extra.get(guestinfo.callbackToken);
          if (!vmId || !url || !token || reported.has(vmId)) continue;
          // The host keys go in place before sshd first starts, then the install is reported.
          const keys = await fetch(`${url}/host-keys`, {
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(5_000),
          }).catch(() => undefined);
          if (!keys || (!keys.ok && keys.status !== 404 && keys.status !== 409)) continue;
          if (keys.ok) fetchedKeys.add(vmId);
          const response = await fetch(url, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(5_000),
          }).catch(() => undefined);
          if (response?.ok) reported.add(vmId);
        }
      } catch {
        // vcsim restarting or the test tearing down: try again next round.
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    reported,
    fetchedKeys,
    async stop() {
      stopped = true;
      await loop;
      await client.close();
    },
  };
}
