import {
  Controller,
  ForbiddenException,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { ActivityNotFoundError, type Client } from '@temporalio/client';
import { recordInstallCallback } from '../../../activities/hypervisor/install-callback';
import { verifyCallbackToken } from '../../../libs/callback-token';
import { type BerthConfig } from '../../../libs/config';
import { type Orm } from '../../../libs/db/orm';
import { type Logger } from '../../../libs/logger';
import { BERTH_CONFIG, LOGGER, ORM, TEMPORAL_CLIENT } from '../tokens';

/**
 * Where a new server's installer reports that the OS is installed. Accepted only with that VM's
 * own secret token; completes the provisioning activity that waits for it. Repeating a callback
 * is harmless.
 */
@Controller('callbacks')
export class CallbacksController {
  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(ORM) private readonly orm: Orm,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @Post('vm/:vmId')
  @HttpCode(204)
  async vmInstalled(
    @Param('vmId', new ParseUUIDPipe({ version: '4' })) vmId: string,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<void> {
    const token = /^Bearer (\S{1,200})$/.exec(authorization ?? '')?.[1];
    if (token === undefined) throw new UnauthorizedException('a Bearer token is required');
    if (!verifyCallbackToken(this.config.secretKey, vmId, token)) {
      this.log.warn({ vmId }, 'install callback with a wrong token refused');
      throw new ForbiddenException('wrong token for this server');
    }
    const { found, taskToken, installedAt } = await recordInstallCallback(
      this.orm,
      vmId,
      new Date(),
    );
    if (!found) throw new NotFoundException('no such server');
    this.log.info({ vmId }, 'install callback accepted');
    if (taskToken === null || installedAt === null) return;
    try {
      await this.temporal.activity.complete(Buffer.from(taskToken, 'base64'), {
        installedAt: installedAt.toISOString(),
      });
    } catch (error) {
      // The wait already ended (completed by its own read of installedAt, or timed out).
      if (!(error instanceof ActivityNotFoundError)) throw error;
    }
  }
}
