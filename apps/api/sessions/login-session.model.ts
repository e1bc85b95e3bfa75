import { Field, GraphQLISODateTime, ID, ObjectType } from '@nestjs/graphql';
import { PageInfo } from '../sites/site.model';

@ObjectType('LoginSession', {
  description: 'A browser session made by logging in (no secret)',
})
export class LoginSessionModel {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The user who logged in' })
  userId!: string;

  @Field(() => GraphQLISODateTime)
  createdAt!: Date;

  @Field(() => GraphQLISODateTime, { description: 'Refused from this time on' })
  expiresAt!: Date;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'When a request last presented it, to within a minute',
  })
  lastSeenAt!: Date | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Refused since this time (logged out, or ended with endLoginSession)',
  })
  endedAt!: Date | null;

  @Field(() => Boolean, { description: 'Whether this request came with it' })
  current!: boolean;
}

@ObjectType('LoginSessionEdge')
export class LoginSessionEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => LoginSessionModel)
  node!: LoginSessionModel;
}

@ObjectType('LoginSessionConnection', { description: 'Login sessions, newest first' })
export class LoginSessionConnection {
  @Field(() => [LoginSessionEdge])
  edges!: LoginSessionEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
