import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { type Principal } from '../../../libs/auth/principal';

/** The request's caller, resolved once in the GraphQL context (see authenticate.ts). */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal =>
    GqlExecutionContext.create(context).getContext<{ principal: Principal }>().principal,
);
