import {
  type GraphQLField,
  type GraphQLInputObjectType,
  type GraphQLInputType,
  type GraphQLNamedOutputType,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNamedType,
  isAbstractType,
  isInputObjectType,
  isObjectType,
  isRequiredArgument,
  isRequiredInputField,
} from 'graphql';

/** The interface every typed refusal of a mutation result union implements (see user-error.ts). */
const userErrorInterface = 'UserError';
/** Deep enough to reach the sites of a connection (`edges { node { id } }`), bounded for cycles. */
const maxDepth = 4;

export interface SchemaRequest {
  query: string;
  variables: Record<string, unknown>;
}

/**
 * Values for arguments and input fields, looked up as `Type.field.argument` (root arguments:
 * `Query.site.id`), then `InputType.field`, then the bare name. Required ones must be there;
 * optional ones are sent only when named.
 */
export type SampleValues = Record<string, unknown>;

/**
 * A request for one root field of the schema, built from the schema alone: every argument as a
 * variable, valid values from `samples`, and a minimal selection: `__typename`, `id` where the
 * type has one, the object fields without arguments below it (to reach the ids they hold), and
 * for a result union `... on UserError { code }`. A required value `samples` lacks is an error naming it, so a new
 * operation with new inputs says what the caller must supply.
 */
/** The root types whose fields a request can call. */
export type SchemaRoot = 'Query' | 'Mutation' | 'Subscription';

export function schemaRequest(
  schema: GraphQLSchema,
  root: SchemaRoot,
  fieldName: string,
  samples: SampleValues,
): SchemaRequest {
  const rootType =
    root === 'Query'
      ? schema.getQueryType()
      : root === 'Mutation'
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const field = rootType?.getFields()[fieldName];
  if (!rootType || !field) throw new Error(`the schema has no ${root}.${fieldName}`);

  const variables: Record<string, unknown> = {};
  const declarations: string[] = [];
  const argumentsText: string[] = [];
  for (const argument of field.args) {
    const value = sampleValue(samples, [`${root}.${fieldName}.${argument.name}`, argument.name]);
    const resolved =
      value !== undefined
        ? value
        : isRequiredArgument(argument)
          ? requiredValue(samples, argument.type, `${root}.${fieldName}(${argument.name})`)
          : undefined;
    if (resolved === undefined) continue;
    variables[argument.name] = resolved;
    declarations.push(`$${argument.name}: ${String(argument.type)}`);
    argumentsText.push(`${argument.name}: $${argument.name}`);
  }

  const operation = root.toLowerCase();
  const head = declarations.length > 0 ? `(${declarations.join(', ')})` : '';
  const args = argumentsText.length > 0 ? `(${argumentsText.join(', ')})` : '';
  const selection = selectionOf(schema, field, 0);
  const query = `${operation} Matrix${head} { ${fieldName}${args}${selection ? ` { ${selection} }` : ''} }`;
  return { query, variables };
}

function sampleValue(samples: SampleValues, keys: string[]): unknown {
  for (const key of keys) if (Object.hasOwn(samples, key)) return samples[key];
  return undefined;
}

/** A value for a required argument or input field: from `samples`, or built for an input type. */
function requiredValue(samples: SampleValues, type: GraphQLInputType, where: string): unknown {
  const named = getNamedType(type);
  if (isInputObjectType(named)) return inputObject(samples, named);
  throw new Error(
    `no sample value for ${where} (${String(type)}): add one to the caller's samples`,
  );
}

function inputObject(samples: SampleValues, type: GraphQLInputObjectType): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const field of Object.values(type.getFields())) {
    const sample = sampleValue(samples, [`${type.name}.${field.name}`, field.name]);
    if (sample !== undefined) value[field.name] = sample;
    else if (isRequiredInputField(field)) {
      value[field.name] = requiredValue(samples, field.type, `${type.name}.${field.name}`);
    }
  }
  return value;
}

function selectionOf(
  schema: GraphQLSchema,
  field: GraphQLField<unknown, unknown>,
  depth: number,
): string {
  const named: GraphQLNamedOutputType = getNamedType(field.type);
  if (isObjectType(named)) return objectSelection(schema, named, depth);
  if (!isAbstractType(named)) return '';
  const parts = ['__typename'];
  const members = schema.getPossibleTypes(named);
  if (members.some((member) => implementsUserError(member))) {
    parts.push(`... on ${userErrorInterface} { code }`);
  }
  for (const member of members) {
    if (implementsUserError(member)) continue;
    parts.push(`... on ${member.name} { ${objectSelection(schema, member, depth)} }`);
  }
  return parts.join(' ');
}

function objectSelection(schema: GraphQLSchema, type: GraphQLObjectType, depth: number): string {
  const fields = type.getFields();
  const parts = ['__typename'];
  if (fields.id) parts.push('id');
  if (depth + 1 >= maxDepth) return parts.join(' ');
  for (const field of Object.values(fields)) {
    const named = getNamedType(field.type);
    if (!isObjectType(named) && !isAbstractType(named)) continue;
    // Fields with arguments (paginated lists such as Site.events) would multiply the query's
    // cost under the api's limits, and hold nothing a minimal selection needs.
    if (field.args.length > 0) continue;
    parts.push(`${field.name} { ${selectionOf(schema, field, depth + 1)} }`);
  }
  return parts.join(' ');
}

function implementsUserError(type: GraphQLObjectType): boolean {
  return type.getInterfaces().some((candidate) => candidate.name === userErrorInterface);
}
