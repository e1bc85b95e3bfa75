import { Controller, ForbiddenException, Get, Header, Headers, Inject } from '@nestjs/common';
import { hasScope, isOperator } from '../../../libs/auth/principal';
import { type AuthenticateDeps, authenticateHttp } from '../auth/authenticate';
import { AUTHENTICATE_DEPS } from '../tokens';
import { type AnsibleInventory, type InventoryServer, InventoryService } from './inventory.service';

/**
 * The fleet's inventory, read-only, for operators' tools: `GET /inventory` is Ansible's dynamic
 * inventory JSON (ansible/inventory/berth_inventory.py reads it), `GET /inventory/feed` the
 * central inventory's feed. Both need an operator's credential with the read scope.
 */
@Controller('inventory')
export class InventoryController {
  constructor(
    private readonly inventory: InventoryService,
    @Inject(AUTHENTICATE_DEPS) private readonly auth: AuthenticateDeps,
  ) {}

  @Get()
  @Header('cache-control', 'no-store')
  async ansible(
    @Headers('authorization') authorization: string | undefined,
  ): Promise<AnsibleInventory> {
    await this.requireOperator(authorization);
    return this.inventory.ansibleInventory();
  }

  @Get('feed')
  @Header('cache-control', 'no-store')
  async feed(
    @Headers('authorization') authorization: string | undefined,
  ): Promise<{ generatedAt: string; servers: InventoryServer[] }> {
    await this.requireOperator(authorization);
    return { generatedAt: new Date().toISOString(), servers: await this.inventory.servers() };
  }

  private async requireOperator(authorization: string | undefined): Promise<void> {
    const principal = await authenticateHttp(this.auth, authorization);
    if (!isOperator(principal) || !hasScope(principal, 'sites:read')) {
      throw new ForbiddenException('only operators may read the inventory');
    }
  }
}
