/**
 * The daemon's own signals, beside the kernel's SIGINT and SIGTERM: SIGHUP reopens the log
 * file (for logrotate), SIGUSR1 logs the supervision tree (like a thread dump; summarised
 * beyond a hundred payloads, see tree-summary.ts). Installing a
 * SIGUSR1 listener also keeps Node.js from starting its inspector on that signal.
 */
import type { Logger as PinoLogger } from 'pino';
import type { KernelModule } from './config-loader.js';
import type { Logging } from './logging.js';
import { treeForLog } from './tree-summary.js';

/** What the daemon's signal handlers act on. */
export interface DaemonSignalTargets {
  readonly logging: Logging;
  readonly logger: PinoLogger;
  readonly kernel: Pick<KernelModule, 'runtime' | 'formatTree'>;
}

/**
 * Handle SIGHUP and SIGUSR1 until the returned function removes the handlers.
 *
 * @example
 * const untrap = trapDaemonSignals({ logging, logger, kernel });
 * try { await runtime.accept(); } finally { untrap(); }
 */
export function trapDaemonSignals({ logging, logger, kernel }: DaemonSignalTargets): () => void {
  const onHangup = (): void => {
    if (logging.file === undefined) {
      logger.info({ signal: 'SIGHUP' }, 'SIGHUP: logging to a stream, there is no log file to reopen');
      return;
    }
    try {
      logging.reopen();
      logger.info({ signal: 'SIGHUP', file: logging.file }, `SIGHUP: reopened the log file ${logging.file}`);
    } catch (err) {
      logger.error({ signal: 'SIGHUP', file: logging.file, err }, `SIGHUP: cannot reopen the log file, still writing to the old one`);
    }
  };
  const onDump = (): void => {
    const { tree, more } = treeForLog(kernel.runtime.tree());
    const text = `SIGUSR1: supervision tree\n${kernel.formatTree(tree)}${more === undefined ? '' : `\n${more}`}`;
    logger.info({ signal: 'SIGUSR1', tree, ...(more === undefined ? {} : { more }) }, text);
  };
  process.on('SIGHUP', onHangup);
  process.on('SIGUSR1', onDump);
  return () => {
    process.off('SIGHUP', onHangup);
    process.off('SIGUSR1', onDump);
  };
}
