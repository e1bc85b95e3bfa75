import { Controller, Get, Header } from '@nestjs/common';
import { explorerContentSecurityPolicy, explorerPage } from './explorer-page';
import { explorerScript } from './explorer-script';
import { explorerStyle } from './explorer-style';

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
  page(): string {
    return explorerPage;
  }

  @Get('explorer.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  script(): string {
    return explorerScript;
  }

  @Get('explorer.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  style(): string {
    return explorerStyle;
  }
}
