import { type ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { type ValidationError } from 'class-validator';
import { badUserInput, fieldProblems } from './graphql-errors';

/** Argument classes whose accepted values the pipe remembers (see RepeatedArgs). */
const repeatable = new WeakSet<object>();

/**
 * Marks the arguments of a read (a list's page size, cursor, filter and order) that panels and
 * integrations send again and again with the same values. The validation pipe remembers each
 * distinct value it has accepted for them and answers the next one from memory: validating them
 * afresh (class-transformer, then class-validator) was a tenth of the api's CPU on a busy sites
 * list (sites-list benchmark). Only for arguments that carry no secret, since the values stay in
 * memory, and whose rules depend on the value alone, as class-validator's built-in ones do.
 * A subclass is not marked by its parent's mark.
 */
export function RepeatedArgs(): ClassDecorator {
  return (target) => {
    repeatable.add(target);
  };
}

/** How many distinct values are remembered per class, and how long (as JSON) one may be. */
export const repeatedArgsLimits = { values: 500, jsonLength: 2_000 };

/**
 * Validates every input at the edge: unknown properties are refused, values are checked by the
 * decorators on the input classes, and failures become one BAD_USER_INPUT error naming each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new BerthValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => badUserInput(fieldProblems(errors)),
  });
}

class BerthValidationPipe extends ValidationPipe {
  private readonly accepted = new WeakMap<object, Map<string, unknown>>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    if (!metatype || !repeatable.has(metatype)) return super.transform(value, metadata);
    // GraphQL hands over arguments it has coerced, their fields in the schema's order, so one
    // value always gives the same JSON, and two values never do.
    const key = JSON.stringify(value);
    if (key.length > repeatedArgsLimits.jsonLength) return super.transform(value, metadata);
    let known = this.accepted.get(metatype);
    const hit = known?.get(key);
    if (known && hit !== undefined) {
      // Moved to the end, so the values least recently asked for are the ones that make room.
      known.delete(key);
      known.set(key, hit);
      return hit;
    }
    // A refused value throws here and is not remembered.
    const instance: unknown = deepFreeze(await super.transform(value, metadata));
    if (!known) this.accepted.set(metatype, (known = new Map<string, unknown>()));
    // The value least recently asked for makes room: a Map iterates in insertion order.
    if (known.size >= repeatedArgsLimits.values) known.delete(known.keys().next().value!);
    known.set(key, instance);
    return instance;
  }
}

/** Shared between requests, so no resolver may change it (one that tried would throw). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
