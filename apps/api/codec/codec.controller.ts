import {
  BadRequestException,
  Body,
  Controller,
  ForbiddenException,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Options,
  Param,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { type Payload, type PayloadCodec } from '@temporalio/common';
import { type JSONPayload, JSONToPayload, payloadToJSON } from '@temporalio/common/lib/proto-utils';
import { type Request, type Response } from 'express';
import { isOperator } from '../../../libs/auth/principal';
import { type BerthConfig } from '../../../libs/config';
import { type Logger } from '../../../libs/logger';
import { createPayloadCodec } from '../../../libs/temporal/payload-codec';
import { type AuthenticateDeps, authenticateHttp } from '../auth/authenticate';
import { AUTHENTICATE_DEPS, BERTH_CONFIG, LOGGER } from '../tokens';

/** More payloads than this in one request is not a UI or CLI decoding a history page. */
const maxPayloads = 1_000;

/**
 * The remote codec endpoint of Temporal's UI and CLI (`--codec-endpoint`): operators see Berth's
 * encrypted payloads decoded. Only an operator's credential is accepted, and only for Berth's own
 * namespace; the payloads themselves are never logged.
 */
@Controller('codec')
export class CodecController {
  private readonly codec: PayloadCodec;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(AUTHENTICATE_DEPS) private readonly auth: AuthenticateDeps,
  ) {
    this.codec = createPayloadCodec(config.secretKey, [...config.previousSecretKeys]);
  }

  /** CORS preflight from the Temporal UI, which sends custom headers. */
  @Options(['encode', 'decode', ':namespace/encode', ':namespace/decode'])
  @HttpCode(204)
  preflight(@Req() request: Request, @Res({ passthrough: true }) response: Response): void {
    this.allowOrigin(request, response);
    response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    response.setHeader('Access-Control-Allow-Headers', 'content-type, x-namespace, authorization');
    response.setHeader('Access-Control-Max-Age', '600');
  }

  /** `encode` or `decode`, optionally under the namespace, as the UI and the CLI call them. */
  @Post([':direction', ':namespace/:direction'])
  @HttpCode(200)
  convert(
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
    @Param('direction') direction: string,
    @Param('namespace') namespaceParam: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Headers('x-namespace') namespaceHeader: string | undefined,
    @Body() body: unknown,
  ): Promise<{ payloads: JSONPayload[] }> {
    if (direction !== 'encode' && direction !== 'decode') throw new NotFoundException();
    this.allowOrigin(request, response);
    return this.run(direction, authorization, namespaceParam ?? namespaceHeader, body);
  }

  private async run(
    direction: 'encode' | 'decode',
    authorization: string | undefined,
    namespace: string | undefined,
    body: unknown,
  ): Promise<{ payloads: JSONPayload[] }> {
    await this.requireOperator(authorization);
    if (namespace !== undefined && namespace !== this.config.temporal.namespace) {
      throw new ForbiddenException("not Berth's namespace");
    }
    const payloads = parsePayloads(body);
    try {
      const result = await this.codec[direction](payloads);
      return { payloads: result.map(payloadToJSON) };
    } catch (error) {
      this.log.warn(
        { direction, err: error instanceof Error ? error.message : 'codec error' },
        'codec request failed',
      );
      throw new BadRequestException(`payloads could not be ${direction}d`);
    }
  }

  private async requireOperator(authorization: string | undefined): Promise<void> {
    const principal = await authenticateHttp(this.auth, authorization);
    if (!isOperator(principal)) throw new ForbiddenException('only operators may decode payloads');
  }

  /** The Temporal UI runs on another origin; only the configured ones may call. */
  private allowOrigin(request: Request, response: Response): void {
    const origin = request.headers.origin;
    response.setHeader('Vary', 'Origin');
    if (origin !== undefined && this.config.api.codecCorsOrigins.includes(origin)) {
      response.setHeader('Access-Control-Allow-Origin', origin);
      response.setHeader('Access-Control-Allow-Credentials', 'true');
    }
  }
}

function parsePayloads(body: unknown): Payload[] {
  const list = (body as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list) || list.length > maxPayloads) {
    throw new BadRequestException(
      `expected { payloads: [...] } with at most ${maxPayloads} payloads`,
    );
  }
  try {
    return list.map((item) => JSONToPayload(item as JSONPayload));
  } catch {
    throw new BadRequestException('payloads must be { metadata: { key: base64 }, data: base64 }');
  }
}
