// One logger for the process. Components get a child with `component` (and a
// session id where there is one). What goes in a log line is ids and counts:
// message bodies and keys never, subjects and addresses only when the operator
// turned `log.content` on (see contentFields).
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      // Defence in depth: should a key ever be passed as a field, it is not written.
      redact: { paths: ['key', 'apiKey', 'password', '*.key', '*.password', 'headers["mailsac-key"]'], censor: '[redacted]' },
    },
    destination,
  );
}

/** A logger that writes nothing: for tests and tools that do not want output. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Returns the given content fields only when the operator allows content in logs. */
export function contentFields(allowed: boolean, fields: Record<string, unknown>): Record<string, unknown> {
  return allowed ? fields : {};
}
