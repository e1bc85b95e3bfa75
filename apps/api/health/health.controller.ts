import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { type Client } from '@temporalio/client';
import { forkEm, type Orm } from '../../../libs/db/orm';
import { ORM, TEMPORAL_CLIENT } from '../tokens';

/** Liveness (the process answers) and readiness (its database and Temporal answer). */
@Controller()
export class HealthController {
  constructor(
    @Inject(ORM) private readonly orm: Orm,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
  ) {}

  @Get('healthz')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready(): Promise<{ status: 'ready'; database: 'ok'; temporal: 'ok' }> {
    const checks = await Promise.allSettled([
      forkEm(this.orm).getConnection().execute('select 1'),
      this.temporal.connection.workflowService.getSystemInfo({}),
    ]);
    const [database, temporal] = checks.map((c) => c.status === 'fulfilled');
    if (!database || !temporal) {
      throw new ServiceUnavailableException({
        status: 'not ready',
        database: database ? 'ok' : 'unavailable',
        temporal: temporal ? 'ok' : 'unavailable',
      });
    }
    return { status: 'ready', database: 'ok', temporal: 'ok' };
  }
}
