import 'reflect-metadata';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type ApiDependencies } from './app.module';
import { createValidationPipe } from './graphql/validation.pipe';
import { NestLogger } from './nest-logger';

/** Builds the api application; main.ts listens on it, tests too (on a free port). */
export async function createApi(deps: ApiDependencies): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(deps), {
    logger: new NestLogger(deps.log.child({ component: 'nest' })),
    bodyParser: true,
  });
  // No ETag hashed over every response body: GraphQL answers are POSTs, never revalidated (a
  // sites list spent 1% of its CPU on it); the explorer's fixed assets carry their own.
  app.set('etag', false);
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  return app;
}
