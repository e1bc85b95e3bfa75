import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured logs: a constant message plus fields. Anything that looks like a secret is redacted
 * by path, whatever object it arrives in.
 */
export function createLogger(
  options: { level: string; name: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: {
        paths: [
          'token',
          '*.token',
          'secretKey',
          '*.secretKey',
          'password',
          '*.password',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'req.headers.authorization',
          'databaseUrl',
          '*.databaseUrl',
          'smtpUrl',
          '*.smtpUrl',
          'previousSecretKeys',
          '*.previousSecretKeys',
          'taskToken',
          '*.taskToken',
        ],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination(1),
  );
}
