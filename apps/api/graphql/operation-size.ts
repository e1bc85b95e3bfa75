import {
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** Finds a fragment of the document by name (`ValidationContext.getFragment` is one). */
export type FragmentLookup = (name: string) => FragmentDefinitionNode | null | undefined;

/** Introspection entry points: their depth and cost are bounded by the schema, not the client. */
const introspectionRoots = new Set(['__schema', '__type']);

/**
 * How many selection sets (of a field, an inline fragment, a fragment) may nest, one in another,
 * introspection included. Far past any real query (the introspection query nests 18), and far
 * short of the call stack: the walks below stop there, so a document nested a thousand levels
 * deep is refused, not answered with a stack overflow.
 */
export const maxNesting = 100;

/**
 * Walks fragment spreads once each: a fragment's measure is remembered (per `key`), so a document
 * that spreads fragments inside fragments costs linear time, not exponential. A fragment that
 * spreads itself measures as `empty`; graphql-js's NoFragmentCyclesRule reports it.
 */
function fragmentWalker<T>(fragment: FragmentLookup, empty: T) {
  const memo = new Map<string, T>();
  const inProgress = new Set<string>();
  return (name: string, key: string, measure: (definition: FragmentDefinitionNode) => T): T => {
    const known = memo.get(key);
    if (known !== undefined) return known;
    const definition = fragment(name);
    if (!definition || inProgress.has(key)) return empty;
    inProgress.add(key);
    const value = measure(definition);
    inProgress.delete(key);
    memo.set(key, value);
    return value;
  };
}

export interface Nesting {
  /** Fields in fields, fragments followed; fields under `__schema` and `__type` do not count. */
  depth: number;
  /** Selection sets in selection sets, introspection included (see maxNesting). */
  nesting: number;
}

/**
 * How deeply an operation nests. Both counts add up along a path, so a fragment is measured once
 * wherever it is spread; a walk that passes maxNesting stops and reports Infinity for both.
 */
export function operationNesting(
  operation: OperationDefinitionNode,
  fragment: FragmentLookup,
): Nesting {
  const flat: Nesting = { depth: 0, nesting: 0 };
  const throughFragment = fragmentWalker(fragment, flat);
  const ofSet = (set: SelectionSetNode, level: number): Nesting => {
    if (level > maxNesting) return { depth: Infinity, nesting: Infinity };
    const deepest = set.selections.reduce((max, selection) => {
      const inner = ofSelection(selection, level);
      return {
        depth: Math.max(max.depth, inner.depth),
        nesting: Math.max(max.nesting, inner.nesting),
      };
    }, flat);
    return { depth: deepest.depth, nesting: deepest.nesting + 1 };
  };
  const ofSelection = (selection: SelectionNode, level: number): Nesting => {
    switch (selection.kind) {
      case Kind.FIELD: {
        const below = selection.selectionSet ? ofSet(selection.selectionSet, level + 1) : flat;
        const exempt = introspectionRoots.has(selection.name.value);
        return { depth: exempt ? 0 : below.depth + 1, nesting: below.nesting };
      }
      case Kind.INLINE_FRAGMENT:
        return ofSet(selection.selectionSet, level + 1);
      case Kind.FRAGMENT_SPREAD:
        return throughFragment(selection.name.value, selection.name.value, (definition) =>
          ofSet(definition.selectionSet, level + 1),
        );
    }
  };
  return ofSet(operation.selectionSet, 0);
}

/**
 * Aliased fields, each fragment counted as often as it is spread. Stops at maxNesting (that
 * operation is refused for its nesting).
 */
export function operationAliases(
  operation: OperationDefinitionNode,
  fragment: FragmentLookup,
): number {
  const throughFragment = fragmentWalker(fragment, 0);
  const ofSet = (set: SelectionSetNode, level: number): number =>
    level > maxNesting
      ? 0
      : set.selections.reduce((sum, selection) => sum + ofSelection(selection, level), 0);
  const ofSelection = (selection: SelectionNode, level: number): number => {
    switch (selection.kind) {
      case Kind.FIELD:
        return (
          (selection.alias ? 1 : 0) +
          (selection.selectionSet ? ofSet(selection.selectionSet, level + 1) : 0)
        );
      case Kind.INLINE_FRAGMENT:
        return ofSet(selection.selectionSet, level + 1);
      case Kind.FRAGMENT_SPREAD:
        return throughFragment(selection.name.value, selection.name.value, (definition) =>
          ofSet(definition.selectionSet, level + 1),
        );
    }
  };
  return ofSet(operation.selectionSet, 0);
}

/** Fields selected at the top of the operation, through fragments, repeats included. */
export function operationRootFields(
  operation: OperationDefinitionNode,
  fragment: FragmentLookup,
): number {
  const throughFragment = fragmentWalker(fragment, 0);
  const ofSet = (set: SelectionSetNode, level: number): number =>
    level > maxNesting
      ? 0
      : set.selections.reduce((sum, selection) => {
          switch (selection.kind) {
            case Kind.FIELD:
              return sum + 1;
            case Kind.INLINE_FRAGMENT:
              return sum + ofSet(selection.selectionSet, level + 1);
            case Kind.FRAGMENT_SPREAD:
              return (
                sum +
                throughFragment(selection.name.value, selection.name.value, (definition) =>
                  ofSet(definition.selectionSet, level + 1),
                )
              );
          }
        }, 0);
  return ofSet(operation.selectionSet, 0);
}

export interface CostOptions {
  /** Items assumed for a list field whose size neither the query nor the schema gives. */
  assumedListSize: number;
  /** The request's variables, when known (after validation); else their defaults are used. */
  variables?: Readonly<Record<string, unknown>>;
}

/**
 * An upper bound of the work an operation asks for: every field costs 1, and a list field's
 * selection is counted once per item. The item count is the field's `first` argument (from the
 * query, a variable, the variable's default or the schema's default), else `assumedListSize`. A
 * connection's `first` (a field that takes `first` but returns one object, like `sites`) sizes the
 * lists directly inside it (`edges`). Alternatives under different type conditions are added up,
 * and introspection (`__schema`, `__type`) is free.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragment: FragmentLookup,
  options: CostOptions,
): number {
  const throughFragment = fragmentWalker(fragment, 0);
  const variableDefaults = new Map(
    (operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, d.defaultValue]),
  );

  const intValue = (node: ValueNode | undefined): number | undefined => {
    if (node?.kind === Kind.INT) return Number(node.value);
    if (node?.kind !== Kind.VARIABLE) return undefined;
    const name = node.name.value;
    const given = options.variables?.[name];
    if (typeof given === 'number') return given;
    return intValue(variableDefaults.get(name));
  };

  const firstArgument = (field: GraphQLField<unknown, unknown>, node: FieldNode) => {
    const declared = field.args.find((arg) => arg.name === 'first');
    if (!declared) return undefined;
    const given = node.arguments?.find((arg) => arg.name.value === 'first');
    const value =
      intValue(given?.value) ??
      (typeof declared.defaultValue === 'number' ? declared.defaultValue : undefined);
    return value === undefined || !Number.isFinite(value) ? undefined : Math.max(0, value);
  };

  // Past maxNesting the walk stops, and operationNesting's nesting is over it: refused anyway.
  const ofSet = (
    set: SelectionSetNode,
    parent: GraphQLNamedType | undefined,
    connectionSize: number | undefined,
    level: number,
  ): number =>
    level > maxNesting
      ? 0
      : set.selections.reduce(
          (sum, selection) => sum + ofSelection(selection, parent, connectionSize, level),
          0,
        );

  const ofSelection = (
    selection: SelectionNode,
    parent: GraphQLNamedType | undefined,
    connectionSize: number | undefined,
    level: number,
  ): number => {
    switch (selection.kind) {
      case Kind.FIELD:
        return fieldCost(selection, parent, connectionSize, level);
      case Kind.INLINE_FRAGMENT: {
        const type = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : parent;
        return ofSet(selection.selectionSet, type ?? undefined, connectionSize, level + 1);
      }
      case Kind.FRAGMENT_SPREAD:
        return throughFragment(
          selection.name.value,
          `${selection.name.value}@${connectionSize ?? ''}`,
          (definition) =>
            ofSet(
              definition.selectionSet,
              schema.getType(definition.typeCondition.name.value) ?? undefined,
              connectionSize,
              level + 1,
            ),
        );
    }
  };

  const fieldCost = (
    node: FieldNode,
    parent: GraphQLNamedType | undefined,
    connectionSize: number | undefined,
    level: number,
  ): number => {
    if (introspectionRoots.has(node.name.value)) return 0;
    const field =
      isObjectType(parent) || isInterfaceType(parent)
        ? parent.getFields()[node.name.value]
        : undefined;
    if (!field) {
      // __typename, or a field the schema lacks (another rule reports that): 1 per field below.
      return (
        1 + (node.selectionSet ? ofSet(node.selectionSet, undefined, undefined, level + 1) : 0)
      );
    }
    const size = firstArgument(field, node);
    const returnsList = isListType(getNullableType(field.type));
    const items = returnsList ? (size ?? connectionSize ?? options.assumedListSize) : 1;
    const below = node.selectionSet
      ? ofSet(
          node.selectionSet,
          getNamedType(field.type),
          returnsList ? undefined : size,
          level + 1,
        )
      : 0;
    return 1 + items * below;
  };

  return ofSet(
    operation.selectionSet,
    schema.getRootType(operation.operation) ?? undefined,
    undefined,
    0,
  );
}
