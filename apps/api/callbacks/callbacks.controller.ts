import {
  ConflictException,
  Controller,
  ForbiddenException,
  Get,
  Header,
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
import { readHostKeys } from '../../../activities/keys/activities';
import { verifyCallbackToken } from '../../../libs/callback-token';
import { type BerthConfig } from '../../../libs/config';
import { type Orm, forkEm } from '../../../libs/db/orm';
import { Vm } from '../../../libs/domain';
import { type Logger } from '../../../libs/logger';
import { BERTH_CONFIG, LOGGER, ORM, TEMPORAL_CLIENT } from '../tokens';

/**
 * Where a new server's installer fetches its host keys and reports that the OS is installed. Accepted only with that VM's
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

  /**
   * The server's SSH host keys, private halves included, for its installer to put in place before
   * sshd first starts (their SSHFP records are already published). Only until the install is
   * reported: after that the keys are the server's, and nobody else's to fetch.
   */
  @Get('vm/:vmId/host-keys')
  @Header('cache-control', 'no-store')
  async hostKeys(
    @Param('vmId', new ParseUUIDPipe({ version: '4' })) vmId: string,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<{ keys: { type: string; publicKey: string; privateKey: string }[] }> {
    this.authenticate(vmId, authorization, 'host key request');
    const vm = await forkEm(this.orm).findOne(Vm, vmId);
    if (!vm) throw new NotFoundException('no such server');
    if (vm.installedAt !== null) {
      throw new ConflictException('host keys are handed out only until the install is reported');
    }
    const keys = await readHostKeys(this.orm, this.config.secretKey, vmId);
    if (keys.length === 0) throw new NotFoundException('this server has no host keys');
    this.log.info({ vmId, types: keys.map((key) => key.type) }, 'host keys handed to the server');
    return {
      keys: keys.map(({ type, publicKey, privateKey }) => ({ type, publicKey, privateKey })),
    };
  }

  @Post('vm/:vmId')
  @HttpCode(204)
  async vmInstalled(
    @Param('vmId', new ParseUUIDPipe({ version: '4' })) vmId: string,
    @Headers('authorization') authorization: string | undefined,
  ): Promise<void> {
    this.authenticate(vmId, authorization, 'install callback');
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

  /** Accepts only the VM's own secret token, as `Authorization: Bearer <token>`. */
  private authenticate(vmId: string, authorization: string | undefined, what: string): void {
    const token = /^Bearer (\S{1,200})$/.exec(authorization ?? '')?.[1];
    if (token === undefined) throw new UnauthorizedException('a Bearer token is required');
    if (!verifyCallbackToken(this.config.secretKey, vmId, token)) {
      this.log.warn({ vmId }, `${what} with a wrong token refused`);
      throw new ForbiddenException('wrong token for this server');
    }
  }
}
