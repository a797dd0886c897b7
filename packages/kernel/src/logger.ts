/**
 * The logger the kernel reports to. Its shape is pino's (`logger.warn(obj, msg)`), so a pino
 * logger, or any object with these four methods, can be passed as `new ServiceRunner({ logger })`.
 */
export interface Logger {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const ignore = (): void => {};

/**
 * The default logger: silent for `info` and `debug`; `warn` and `error` become Node.js process
 * warnings (`CobaldWarning`), so an abandoned payload or a failure during shutdown is never
 * lost even when no logger was configured. Listen with `process.on('warning', …)`.
 */
export const warningLogger: Logger = {
  error: (obj, msg) => emit(obj, msg),
  warn: (obj, msg) => emit(obj, msg),
  info: ignore,
  debug: ignore,
};

/** A logger that drops everything, for tests and embedding. */
export const silentLogger: Logger = { error: ignore, warn: ignore, info: ignore, debug: ignore };

function emit(obj: object, msg: string | undefined): void {
  let detail: string | undefined;
  let text = msg;
  try {
    const err = (obj as { err?: unknown }).err;
    detail = err instanceof Error && typeof err.stack === 'string' ? err.stack : undefined;
    text ??= JSON.stringify(obj);
  } catch {
    // An error whose stack getter, or an object whose toJSON, throws: the message still goes out.
    text ??= '[a log record that cannot be shown]';
  }
  process.emitWarning(text, { type: 'CobaldWarning', detail });
}

const levels = ['error', 'warn', 'info', 'debug'] as const;

/**
 * `logger` as the kernel uses it: a call that throws (a broken sink, a serializer that meets an
 * error whose getters throw) is reported as a process warning with the message it carried, and
 * never breaks what the kernel was doing when it logged (escalating a failure, stopping).
 */
export function guardLogger(logger: Logger): Logger {
  if (logger === warningLogger || logger === silentLogger) return logger;
  const guarded = {} as Record<(typeof levels)[number], Logger['error']>;
  for (const level of levels) {
    guarded[level] = (obj, msg) => {
      try {
        logger[level](obj, msg);
      } catch (error) {
        let why: string;
        try {
          why = error instanceof Error ? error.message : String(error);
        } catch {
          why = 'an error that cannot be shown';
        }
        process.emitWarning(`the logger failed (${why}) to log: ${msg ?? '[a record without a message]'}`, { type: 'CobaldWarning' });
      }
    };
  }
  return guarded;
}
