import 'reflect-metadata';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule, type ApiDependencies } from './app.module';
import { createValidationPipe } from './graphql/validation.pipe';
import { NestLogger } from './nest-logger';

/** Builds the api application; main.ts listens on it, tests too (on a free port). */
export async function createApi(deps: ApiDependencies): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(deps), {
    logger: new NestLogger(deps.log.child({ component: 'nest' })),
    bodyParser: true,
  });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  return app;
}
