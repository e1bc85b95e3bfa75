/** Injection tokens for what the api gets from its process (configuration, connections). */
export const BERTH_CONFIG = Symbol('BerthConfig');
export const ORM = Symbol('Orm');
export const TEMPORAL_CLIENT = Symbol('TemporalClient');
export const LOGGER = Symbol('Logger');
