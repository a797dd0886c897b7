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
  const err = (obj as { err?: unknown }).err;
  const detail = err instanceof Error && err.stack ? err.stack : undefined;
  process.emitWarning(msg ?? JSON.stringify(obj), { type: 'CobaldWarning', detail });
}
