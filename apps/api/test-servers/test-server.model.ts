import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType('TestServer', {
  description:
    'The site’s test server: a copy of production (or of a nightly backup) under its own name, configured like production',
})
export class TestServerModel {
  @Field(() => String)
  hostname!: string;

  @Field(() => String)
  ipv4!: string;

  @Field(() => String)
  ipv6!: string;

  @Field(() => String, { description: 'The OS image it runs, such as debian-12' })
  image!: string;

  @Field(() => String, { description: 'creating, configuring or ready' })
  status!: string;
}
