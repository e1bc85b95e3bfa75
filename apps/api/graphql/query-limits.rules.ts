import { type ValidationContext, type ValidationRule } from 'graphql';
import {
  maxNesting,
  operationAliases,
  operationCost,
  operationNesting,
  operationRootFields,
} from './operation-size';
import { queryLimits, type QueryLimits, queryTooComplex } from './query-limits';

// Each rule measures one operation at a time and reports at most once for it; returning false
// skips the walk graphql-js would otherwise do below the operation for this rule.

/**
 * Refuses operations whose fields nest deeper than `max`, fragments followed, and any operation
 * whose selection sets nest past maxNesting (which no walk goes beyond).
 */
export function depthLimitRule(max: number): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const { depth, nesting } = operationNesting(operation, (name) => context.getFragment(name));
      if (nesting > maxNesting) {
        context.reportError(
          queryTooComplex(
            `Query nests selections more than ${maxNesting} levels deep; the depth limit is ${max}`,
            { limit: 'depth', max },
            { nodes: [operation] },
          ),
        );
      } else if (depth > max) {
        context.reportError(
          queryTooComplex(
            `Query is ${depth} levels deep; the depth limit is ${max}`,
            { limit: 'depth', max, actual: depth },
            { nodes: [operation] },
          ),
        );
      }
      return false;
    },
  });
}

/** Refuses operations with more than `max` aliases, which would repeat one field many times. */
export function aliasLimitRule(max: number): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const aliases = operationAliases(operation, (name) => context.getFragment(name));
      if (aliases > max) {
        context.reportError(
          queryTooComplex(
            `Operation uses ${aliases} aliases; the alias limit is ${max}`,
            { limit: 'aliases', max, actual: aliases },
            { nodes: [operation] },
          ),
        );
      }
      return false;
    },
  });
}

/** Refuses operations that select more than `max` fields at the top. */
export function rootFieldLimitRule(max: number): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const fields = operationRootFields(operation, (name) => context.getFragment(name));
      if (fields > max) {
        context.reportError(
          queryTooComplex(
            `Operation selects ${fields} root fields; the root field limit is ${max}`,
            { limit: 'rootFields', max, actual: fields },
            { nodes: [operation] },
          ),
        );
      }
      return false;
    },
  });
}

/**
 * Refuses operations whose cost (see `operationCost`) is over `limits.maxCost`. Variables are not known
 * during validation, so a `first: $n` counts as $n's default here; queryLimitsPlugin checks the
 * cost again with the request's variables.
 */
export function costLimitRule(limits: {
  maxCost: number;
  assumedListSize: number;
}): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const cost = operationCost(
        context.getSchema(),
        operation,
        (name) => context.getFragment(name),
        { assumedListSize: limits.assumedListSize },
      );
      if (cost > limits.maxCost) {
        context.reportError(costTooHigh(cost, limits, { nodes: [operation] }));
      }
      return false;
    },
  });
}

/** The error for an operation over the cost limit, from the rule or from queryLimitsPlugin. */
export function costTooHigh(
  cost: number,
  limits: { maxCost: number; assumedListSize: number },
  options: Parameters<typeof queryTooComplex>[2] = {},
) {
  return queryTooComplex(
    `Query cost ${cost} is over the cost limit of ${limits.maxCost} (each field costs 1; a ` +
      `list field's selection counts once per item: its \`first\` argument, else ` +
      `${limits.assumedListSize})`,
    { limit: 'cost', max: limits.maxCost, actual: cost },
    options,
  );
}

/** Every query limit as graphql-js validation rules, for Apollo's `validationRules`. */
export function queryLimitRules(limits: QueryLimits = queryLimits): ValidationRule[] {
  return [
    depthLimitRule(limits.maxDepth),
    aliasLimitRule(limits.maxAliases),
    rootFieldLimitRule(limits.maxRootFields),
    costLimitRule(limits),
  ];
}
