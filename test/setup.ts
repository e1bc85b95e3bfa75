// NestJS and MikroORM read decorator metadata through the Reflect API.
import 'reflect-metadata';
