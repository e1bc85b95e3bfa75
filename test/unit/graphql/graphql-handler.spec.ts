import { parse } from 'node:url';
import { describe, expect, it } from 'vitest';
import { searchOf } from '../../../apps/api/graphql/apollo-driver';

describe("the GraphQL handler's query string", () => {
  // What Apollo's Express integration gave Apollo: Node's legacy parser, which the handler skips.
  const targets = [
    '/',
    '/?',
    '/graphql',
    '/graphql?',
    '/graphql?query=%7B__typename%7D',
    '/?query=%7B%7D&operationName=A#fragment',
    '/a#x?y',
    '/a?x#y?z',
    '/a?b?c',
    '/a?b=%23#c',
  ];

  it.each(targets)('reads %s as url.parse does', (target) => {
    expect(searchOf(target)).toBe(parse(target).search ?? '');
  });
});
