import { ValidationPipe } from '@nestjs/common';
import { type ValidationError } from 'class-validator';
import { badUserInput, fieldProblems } from './graphql-errors';

/**
 * Validates every input at the edge: unknown properties are refused, values are checked by the
 * decorators on the input classes, and failures become one BAD_USER_INPUT error naming each field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => badUserInput(fieldProblems(errors)),
  });
}
