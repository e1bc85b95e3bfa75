import { type Logger } from '../../../libs/logger';
import { type Orm, forkEm } from '../../../libs/db/orm';
import { SimulatedVm } from './simulated-vm.entity';

/** Retry a refused or unreachable callback for about as long as a real installer would. */
const retryDelayMs = 1_000;
const maxAttempts = 600;

/**
 * Plays the part of each simulated VM's OS installer: after the install delay it calls the VM's
 * callback URL with its token, over real HTTP, and retries until the API accepts. Installs that
 * were under way when a worker stopped are resumed by the next one (`resume`).
 */
export class SimulatedInstaller {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly orm: Orm,
    private readonly installDelayMs: number,
    private readonly log: Logger,
  ) {}

  /** Starts installing a VM that was just created. */
  start(vmId: string): void {
    this.schedule(vmId, this.installDelayMs, 1);
  }

  /** Picks up every VM still installing, e.g. after a worker restart. */
  async resume(): Promise<void> {
    const pending = await forkEm(this.orm).find(SimulatedVm, { installState: 'installing' });
    for (const vm of pending) this.schedule(vm.vmId, this.installDelayMs, 1);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(vmId: string, delayMs: number, attempt: number): void {
    if (this.stopped || this.timers.has(vmId)) return;
    const timer = setTimeout(() => {
      this.timers.delete(vmId);
      this.callBack(vmId, attempt).catch((error: unknown) => {
        // Its own bookkeeping failed (a busy database, say): try again, as a real installer
        // would keep calling until it is heard.
        this.log.warn({ vmId, err: error }, 'simulated installer failed; retrying');
        if (attempt < maxAttempts) this.schedule(vmId, retryDelayMs, attempt + 1);
      });
    }, delayMs);
    timer.unref();
    this.timers.set(vmId, timer);
  }

  private async callBack(vmId: string, attempt: number): Promise<void> {
    const em = forkEm(this.orm);
    const vm = await em.findOne(SimulatedVm, { vmId });
    if (!vm || vm.installState === 'installed') return;
    let status: number | undefined;
    try {
      // A real installer puts the server's pre-made host keys in place before sshd first starts.
      if (!(await this.fetchHostKeys(vm))) {
        if (attempt < maxAttempts) this.schedule(vmId, retryDelayMs, attempt + 1);
        return;
      }
      const response = await fetch(vm.callbackUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${vm.callbackToken}` },
        signal: AbortSignal.timeout(10_000),
      });
      status = response.status;
    } catch (error) {
      this.log.warn(
        { vmId, attempt, err: error },
        'simulated installer could not reach the callback',
      );
    }
    if (status !== undefined && status >= 200 && status < 300) {
      vm.installState = 'installed';
      await em.flush();
      this.log.info({ vmId }, 'simulated installer reported the install');
      return;
    }
    if (status === 403 || status === 404) {
      // The API will never accept this VM's callback (deleted, or a token from another key).
      this.log.error({ vmId, status }, 'simulated installer callback refused');
      return;
    }
    if (attempt < maxAttempts) this.schedule(vmId, retryDelayMs, attempt + 1);
  }

  /**
   * Fetches the VM's host keys as its installer would; false when it should try again. A VM
   * without keys (built before Berth made them) or whose install was already reported goes on.
   */
  private async fetchHostKeys(vm: SimulatedVm): Promise<boolean> {
    const response = await fetch(`${vm.callbackUrl}/host-keys`, {
      headers: { authorization: `Bearer ${vm.callbackToken}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 404 || response.status === 409) return true;
    if (!response.ok) {
      this.log.warn({ vmId: vm.vmId, status: response.status }, 'host keys not handed out');
      return false;
    }
    const body = (await response.json()) as { keys?: { type: string }[] };
    this.log.info(
      { vmId: vm.vmId, types: body.keys?.map((key) => key.type) },
      'simulated installer put its host keys in place',
    );
    return true;
  }
}
