import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { type SiteChildLoaders } from '../sites/site-children.loader';

/** The request's DataLoaders, made fresh in the GraphQL context of every request. */
export const Loaders = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SiteChildLoaders =>
    GqlExecutionContext.create(context).getContext<{ loaders: SiteChildLoaders }>().loaders,
);
