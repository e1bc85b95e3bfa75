import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import { UserError } from '../graphql/user-error';
import { LoginSessionModel } from './login-session.model';

@ObjectType('EndLoginSessionPayload')
export class EndLoginSessionPayload {
  @Field(() => LoginSessionModel)
  session!: LoginSessionModel;
}

@ObjectType('LoginSessionNotFoundError', { implements: () => [UserError] })
export class LoginSessionNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'LOGIN_SESSION_NOT_FOUND', message, field: 'id' });
  }
}

export const EndLoginSessionResult = createUnionType({
  name: 'EndLoginSessionResult',
  types: () => [EndLoginSessionPayload, LoginSessionNotFoundError] as const,
  resolveType: (value: object) => value.constructor,
});
export type EndLoginSessionResult = EndLoginSessionPayload | LoginSessionNotFoundError;
