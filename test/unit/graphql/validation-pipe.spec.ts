import 'reflect-metadata';
import { type ArgumentMetadata, type ValidationPipe } from '@nestjs/common';
import { IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  createValidationPipe,
  RepeatedArgs,
  repeatedArgsLimits,
} from '../../../apps/api/graphql/validation.pipe';

class PageArgs {
  @Min(1)
  @Max(100)
  first = 20;

  @IsOptional()
  @IsString()
  @MaxLength(5_000)
  after?: string;

  @IsOptional()
  @IsString({ each: true })
  tags?: string[];
}

@RepeatedArgs()
class RepeatedPageArgs extends PageArgs {}

/** Inherits the rules, not the mark. */
class UnmarkedChild extends RepeatedPageArgs {}

/** As Nest calls the pipe for a resolver's `@Args()` of that class. */
function transform(
  pipe: ValidationPipe,
  value: object,
  metatype: ArgumentMetadata['metatype'],
): Promise<unknown> {
  return pipe.transform(value, { type: 'body', metatype }) as Promise<unknown>;
}

async function refusal(promise: Promise<unknown>): Promise<GraphQLError> {
  try {
    await promise;
  } catch (error) {
    return error as GraphQLError;
  }
  throw new Error('accepted');
}

describe('the validation pipe', () => {
  it('answers a value it has accepted for repeated arguments with the same frozen instance', async () => {
    const pipe = createValidationPipe();
    const first = (await transform(pipe, { first: 50 }, RepeatedPageArgs)) as PageArgs;
    const again = await transform(pipe, { first: 50 }, RepeatedPageArgs);
    const other = await transform(pipe, { first: 51 }, RepeatedPageArgs);
    expect(first).toBeInstanceOf(RepeatedPageArgs);
    expect(first).toEqual({ first: 50 });
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(other).toEqual({ first: 51 });
    expect(Object.isFrozen(first)).toBe(true);
    const tagged = (await transform(pipe, { first: 1, tags: ['a'] }, RepeatedPageArgs)) as PageArgs;
    expect(Object.isFrozen(tagged.tags)).toBe(true);
    expect(() => {
      first.first = 7;
    }).toThrow(TypeError);
  });

  it('refuses a bad value every time, and never remembers it', async () => {
    const pipe = createValidationPipe();
    for (let i = 0; i < 2; i++) {
      const error = await refusal(transform(pipe, { first: 500 }, RepeatedPageArgs));
      expect(error.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: [{ field: 'first', message: expect.stringMatching(/first/) as string }],
      });
    }
    // A refused value does not taint the good one after it.
    expect(await transform(pipe, { first: 5 }, RepeatedPageArgs)).toEqual({ first: 5 });
  });

  it('validates unmarked classes, their subclasses included, afresh each time', async () => {
    const pipe = createValidationPipe();
    for (const metatype of [PageArgs, UnmarkedChild]) {
      const one = await transform(pipe, { first: 50 }, metatype);
      const two = await transform(pipe, { first: 50 }, metatype);
      expect(one).toBeInstanceOf(metatype);
      expect(one).toEqual(two);
      expect(one).not.toBe(two);
      expect(Object.isFrozen(one)).toBe(false);
    }
  });

  it('does not remember long values, and forgets the least recently asked for beyond its limit', async () => {
    const pipe = createValidationPipe();
    const long = { first: 1, after: 'x'.repeat(repeatedArgsLimits.jsonLength) };
    const longOnce = await transform(pipe, long, RepeatedPageArgs);
    expect(await transform(pipe, long, RepeatedPageArgs)).not.toBe(longOnce);

    const page = (i: number) => ({ first: 1, after: `c${i}` });
    const remembered = [];
    for (let i = 0; i < repeatedArgsLimits.values; i++) {
      remembered.push(await transform(pipe, page(i), RepeatedPageArgs));
    }
    // Within the limit, all are remembered; asking for c0 again makes c1 the least recent.
    expect(await transform(pipe, page(0), RepeatedPageArgs)).toBe(remembered[0]);
    await transform(pipe, { first: 1, after: 'one too many' }, RepeatedPageArgs);
    expect(await transform(pipe, page(0), RepeatedPageArgs)).toBe(remembered[0]);
    expect(await transform(pipe, page(2), RepeatedPageArgs)).toBe(remembered[2]);
    const afresh = await transform(pipe, page(1), RepeatedPageArgs);
    expect(afresh).not.toBe(remembered[1]);
    expect(afresh).toEqual(remembered[1]);
  });

  it('keeps each pipe and each class to its own memory', async () => {
    @RepeatedArgs()
    class OtherArgs extends PageArgs {}
    const pipe = createValidationPipe();
    const mine = await transform(pipe, { first: 3 }, RepeatedPageArgs);
    const theirs = await transform(pipe, { first: 3 }, OtherArgs);
    expect(theirs).toBeInstanceOf(OtherArgs);
    expect(theirs).not.toBe(mine);
    expect(await transform(createValidationPipe(), { first: 3 }, RepeatedPageArgs)).not.toBe(mine);
  });
});
