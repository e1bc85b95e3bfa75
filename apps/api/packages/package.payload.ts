import { createUnionType, Field, ObjectType } from '@nestjs/graphql';
import { UserError } from '../graphql/user-error';
import { AllowedPackageModel } from './package.model';

@ObjectType('AllowedPackagePayload')
export class AllowedPackagePayload {
  @Field(() => AllowedPackageModel)
  package!: AllowedPackageModel;
}

@ObjectType('DisallowPackagePayload')
export class DisallowPackagePayload {
  @Field(() => String, { description: 'The package taken off the allow-list' })
  name!: string;
}

@ObjectType('PackageNotAllowedError', {
  implements: () => [UserError],
  description: "The package is not on the operators' allow-list (allowedPackages)",
})
export class PackageNotAllowedError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'PACKAGE_NOT_ALLOWED', message, field: 'name' });
  }
}

@ObjectType('PackageNotFoundError', {
  implements: () => [UserError],
  description: 'The list (the allow-list, or the site’s packages) does not have that package',
})
export class PackageNotFoundError extends UserError {
  constructor(message: string) {
    super();
    Object.assign(this, { code: 'PACKAGE_NOT_FOUND', message, field: 'name' });
  }
}

export const DisallowPackageResult = createUnionType({
  name: 'DisallowPackageResult',
  types: () => [DisallowPackagePayload, PackageNotFoundError] as const,
  resolveType: (value: object) => value.constructor,
});
export type DisallowPackageResult = DisallowPackagePayload | PackageNotFoundError;
