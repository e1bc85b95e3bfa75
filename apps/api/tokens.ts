/** Injection tokens for what the api gets from its process (configuration, connections). */
export const BERTH_CONFIG = Symbol('BerthConfig');
export const ORM = Symbol('Orm');
export const TEMPORAL_CLIENT = Symbol('TemporalClient');
export const LOGGER = Symbol('Logger');
/** The Directory port (activities/directory): people and groups. */
export const DIRECTORY = Symbol('Directory');
/** What authenticate() needs (apps/api/auth/authenticate.ts), for the plain HTTP controllers. */
export const AUTHENTICATE_DEPS = Symbol('AuthenticateDeps');
