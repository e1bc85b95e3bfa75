import { Field, InputType } from '@nestjs/graphql';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { debianPackagePattern, maxPackageNameLength } from '../../../libs/domain';

const packageNameDescription = `A Debian package name: lower-case letters, digits, +, - and ., 2 to ${maxPackageNameLength} characters, starting with a letter or digit`;

@InputType({ isAbstract: true })
export class PackageNameField {
  @Field(() => String, { description: packageNameDescription })
  @IsString()
  @MaxLength(maxPackageNameLength)
  @Matches(debianPackagePattern, { message: 'name must be a Debian package name' })
  name!: string;
}

@InputType('AllowPackageInput')
export class AllowPackageInput extends PackageNameField {
  @Field(() => String, {
    nullable: true,
    description: "What it is for, shown to sites' admins; at most 200 characters, one line",
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[^\p{Cc}\u2028\u2029]*$/u, {
    message: 'description must not contain control characters',
  })
  description?: string;
}

@InputType('DisallowPackageInput')
export class DisallowPackageInput extends PackageNameField {}
