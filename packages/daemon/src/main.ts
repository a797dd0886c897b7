/**
 * What the `cobald` command does (its executable is cli.ts): read the command line, set up
 * logging, load the configuration module, accept on the runtime until it stops, and turn the
 * outcome into an exit code. Each step's mechanics live in their own file; this one is the flow.
 *
 * Exit codes: 0 after a graceful stop, 1 after a payload failed, 2 when the configuration
 * could not be loaded (or took too long, or an error escaped its code, see configuration-scope.ts), 64 (EX_USAGE) for a wrong command line, 73
 * (EX_CANTCREAT) when the log file cannot be opened or the monitor cannot be served; 128+N on
 * a second shutdown signal N.
 */
import { constants } from 'node:os';
import { basename, resolve } from 'node:path';
import type { Logger as PinoLogger } from 'pino';
import { describe } from './describe.js';
import { ConfigError, loadConfig, loadKernel, runSetup, type KernelModule } from './config-loader.js';
import { ConfigurationScope } from './configuration-scope.js';
import { createLogging, LogTargetError, type Logging } from './logging.js';
import type { Monitor } from '@cobald/monitor';
import { MonitorError, serveMonitor } from './monitor.js';
import { SystemdNotifier, treeStatus, type NotifySend } from './notify.js';
import { parseCommand, usage, UsageError, type RunCommandOptions } from './options.js';
import { trapDaemonSignals } from './signals.js';
import { Startup } from './startup.js';
import { treeForLog } from './tree-summary.js';
import { version } from './version.js';

/** Exit codes of `cobald`, in the spirit of sysexits(3). */
export const exitCodes = {
  ok: 0,
  failure: 1,
  config: 2,
  usage: 64,
  cantCreate: 73,
} as const;

/** Where `main` reads and writes; by default the process's own. */
export interface MainOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** How systemd notifications are sent; by default with the `systemd-notify` binary. */
  readonly notify?: NotifySend;
}

/**
 * Run `cobald` with `argv` (the arguments after the command's name) and resolve with its exit
 * code. It does not exit the process: the `cobald` binary does that, so that payloads
 * abandoned after the grace period cannot keep the daemon alive.
 *
 * @example
 * import { main } from '@cobald/daemon';
 * process.exitCode = await main(['run', './config.mjs', '--log-level', 'debug']);
 */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    stderr.write(`cobald: ${error.message}\n\n${usage}\n`);
    return exitCodes.usage;
  }
  if (command.command === 'help') {
    stdout.write(`${usage}\n`);
    return exitCodes.ok;
  }
  if (command.command === 'version') {
    stdout.write(`${version}\n`);
    return exitCodes.ok;
  }

  const cwd = options.cwd ?? process.cwd();
  let logging: Logging;
  try {
    logging = await createLogging({
      level: command.logLevel,
      target: command.logTarget,
      journal: command.logJournal,
      pretty: command.logPretty,
      cwd,
    });
  } catch (error) {
    if (!(error instanceof LogTargetError)) throw error;
    stderr.write(`cobald: ${error.message}\n`);
    return exitCodes.cantCreate;
  }
  const { logger } = logging;
  for (const note of logging.notes) logger.warn({}, note);
  // Only an error that is about to end the process: while the daemon starts and while the
  // runtime accepts, their own handlers take errors that escape and report them.
  const crashed = (err: Error, origin: string): void => {
    if (process.listenerCount('uncaughtException') === 0) logger.fatal({ err, origin }, `${origin}: ${err.message}`);
  };
  process.on('uncaughtExceptionMonitor', crashed);
  try {
    return await run(command, logging, { ...options, cwd });
  } finally {
    process.off('uncaughtExceptionMonitor', crashed);
    logging.flush();
  }
}

async function run(
  command: RunCommandOptions & { readonly command: 'run' },
  logging: Logging,
  options: MainOptions & { cwd: string },
): Promise<number> {
  const { logger } = logging;
  const { command: _run, config: configFile, ...settings } = command;
  // Before the first record: once a supervisor has seen one, its signals are handled.
  const startup = new Startup({ logger, timeout: command.startTimeout, gracePeriod: command.gracePeriod ?? kernelGracePeriod });
  const configuration = new ConfigurationScope();
  startup.listen();
  let kernel: KernelModule;
  try {
    kernel = await loadKernel(resolve(options.cwd, configFile));
  } catch (error) {
    startup.dispose();
    return configFailed(logger, error);
  }
  const { kernelVersion } = kernel;
  logger.info(
    {
      versions: { '@cobald/daemon': version, '@cobald/kernel': kernelVersion, node: process.version },
      platform: `${process.platform}-${process.arch}`,
      config: configFile,
      options: settings,
    },
    `cobald ${version} starting with @cobald/kernel ${kernelVersion} on Node.js ${process.version} (${process.platform}-${process.arch})`,
  );

  const { runtime } = kernel;
  const untrap = trapDaemonSignals({ logging, logger, kernel });
  let monitor: Monitor | undefined;
  const notifier = new SystemdNotifier({
    logger,
    env: options.env ?? process.env,
    send: options.notify,
    // The watchdog's timer firing shows that the event loop answers; the monitor also watches its delay.
    healthy: () => runtime.running && (monitor?.health().ok ?? true),
    status: () => {
      const tree = runtime.tree();
      // The tree says 'running' until the payloads are being stopped; a stop was asked for before.
      return treeStatus(tree.state === 'running' && !runtime.running ? { ...tree, state: 'stopping' } : tree);
    },
  });
  try {
    runtime.configure({ logger, ...(command.gracePeriod === undefined ? {} : { gracePeriod: command.gracePeriod }) });
    const start = await startup.run(runtime, async (signal) => {
      const config = await configuration.run(() => loadConfig(configFile, options.cwd));
      // Stopped while it was imported: its default function is not called.
      if (!signal.aborted) {
        const setupLogger = logger.child({ config: basename(config.path) });
        await configuration.run(() => runSetup(config, runtime, { logger: setupLogger, signal }));
      }
      // A promise the configuration rejected without awaiting it is reported once the microtasks
      // have run: it surfaces here, while the start is guarded, as the configuration's failure.
      await new Promise((settled) => setImmediate(settled));
      if (signal.aborted) return;
      logger.info({ config: config.path, flavours: flavourVersions(kernel) }, `configuration ${config.path} loaded`);
      // Under the start's guard too: a signal while the monitor opens its port still stops the daemon.
      if (command.monitor) {
        monitor = await serveMonitor(runtime, { ...command.monitor, tokenFile: command.monitorTokenFile, cwd: options.cwd });
        logger.info({ url: monitor.url }, 'monitor listening');
      }
    });
    switch (start.kind) {
      case 'failed':
        if (start.error instanceof MonitorError) {
          logger.fatal({ err: start.error.cause ?? start.error }, start.error.message);
          return exitCodes.cantCreate;
        }
        return configFailed(logger, start.error);
      case 'broken':
        return exitCodes.config;
      case 'stopped':
        logger.info({ signal: start.signal }, 'stopped before accepting');
        return exitCodes.ok;
      case 'forced':
        return start.signal ? 128 + constants.signals[start.signal] : exitCodes.config;
    }

    const accepting = runtime.accept();
    // Only now that the kernel has its handlers, so that no signal finds the process without one.
    startup.dispose();
    const unwatch = configuration.watch();
    // READY=1 once the runtime runs; STOPPING=1 as soon as the shutdown begins, whatever began
    // it (a signal, a failure, shutdown() from a payload), not once everything has stopped, and
    // after READY=1 even when the runtime begins to stop while it starts.
    const running = runtime.whenRunning().then(
      () => true,
      () => false,
    );
    runtime.whenStopping().then(
      async () => {
        await running;
        notifier.stopping();
      },
      () => {},
    );
    if (await running) {
      notifier.ready();
      const { tree, more } = treeForLog(runtime.tree());
      logger.info({ tree, ...(more === undefined ? {} : { more }) }, 'accepting');
    }
    try {
      await accepting;
    } catch (error) {
      unwatch();
      notifier.stopping();
      const cause = (error as { name?: unknown; cause?: unknown } | undefined)?.name === 'UncaughtFailure' ? (error as Error).cause : error;
      if (cause !== error && configuration.escaped(cause)) {
        logger.fatal(
          { err: cause },
          `an error escaped the configuration's code after it loaded (a promise it did not await?): ${describe(cause)}`,
        );
        return exitCodes.config;
      }
      logFailure(logger, error);
      return exitCodes.failure;
    }
    unwatch();
    notifier.stopping();
    logger.info({}, 'stopped gracefully');
    return exitCodes.ok;
  } finally {
    startup.dispose();
    await notifier.close();
    await monitor?.close();
    // Last: a SIGHUP from logrotate while these close would otherwise end the daemon (129).
    untrap();
  }
}

/** The kernel's default grace period, for the configuration's time to stop before it accepts. */
const kernelGracePeriod = 3000;

function logFailure(logger: PinoLogger, error: unknown): void {
  // The kernel's own PayloadFailure: its name and message are its own, its cause the payload's.
  if (error instanceof Error && error.name === 'PayloadFailure') {
    const { payload, cause } = error as Error & { payload?: unknown };
    logger.fatal({ payload, err: cause }, error.message);
  } else {
    logger.fatal({ err: error }, `the runtime failed: ${describe(error)}`);
  }
}

function configFailed(logger: PinoLogger, error: unknown): number {
  if (error instanceof ConfigError) logger.fatal({ err: error.cause ?? error }, error.message);
  else logger.fatal({ err: error }, `cannot load the configuration: ${describe(error)}`);
  return exitCodes.config;
}

function flavourVersions(kernel: KernelModule): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of kernel.registeredFlavours()) versions[name] = kernel.registeredFlavour(name)?.version ?? 'unknown';
  return versions;
}
