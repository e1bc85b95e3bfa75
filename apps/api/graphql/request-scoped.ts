/**
 * A value made once per GraphQL request (DataLoaders, say) and kept with the request's context
 * object, so nothing it caches outlives the request. `make` gets the argument of the first call
 * in the request. Each call of requestScoped makes one such slot.
 */
export function requestScoped<A, T>(make: (argument: A) => T): (context: object, argument: A) => T {
  const perRequest = new WeakMap<object, T>();
  return (context, argument) => {
    let value = perRequest.get(context);
    if (value === undefined) {
      value = make(argument);
      perRequest.set(context, value);
    }
    return value;
  };
}
