import { Controller, Get, Header } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { explorerContentSecurityPolicy, explorerPage } from './explorer-page';
import { explorerScript } from './explorer-script';
import { explorerStyle } from './explorer-style';

/** A strong entity tag for fixed content, so `no-cache` revalidation answers 304. */
function entityTag(content: string): string {
  return `"${createHash('sha256').update(content).digest('base64url').slice(0, 27)}"`;
}

const tags = {
  page: entityTag(explorerPage),
  script: entityTag(explorerScript),
  style: entityTag(explorerStyle),
};

/**
 * The offline GraphQL explorer: a page and its two assets, all served from memory by the api, so
 * it works with no internet and loads nothing from anywhere else.
 */
@Controller('explorer')
export class ExplorerController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', explorerContentSecurityPolicy)
  @Header('Cache-Control', 'no-cache')
  @Header('ETag', tags.page)
  page(): string {
    return explorerPage;
  }

  @Get('explorer.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('ETag', tags.script)
  script(): string {
    return explorerScript;
  }

  @Get('explorer.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('ETag', tags.style)
  style(): string {
    return explorerStyle;
  }
}
