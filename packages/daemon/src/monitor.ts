/**
 * `--monitor [host:]port`: serve `@cobald/monitor` for the daemon's runtime, with the bearer
 * token of `--monitor-token-file`. The package is imported only when the option is given.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Monitor } from '@cobald/monitor';

/** The monitor could not be served: its token file is unreadable or empty, or its address is taken. */
export class MonitorError extends Error {
  override readonly name = 'MonitorError';
}

/** What the daemon's options say about the monitor. */
export interface MonitorSettings {
  readonly host: string;
  readonly port: number;
  readonly tokenFile?: string | undefined;
  readonly cwd: string;
}

/** Serve the monitor for `runtime`; rejects with a {@link MonitorError} that says what failed. */
export async function serveMonitor(runtime: { tree(): object; readonly running: boolean }, settings: MonitorSettings): Promise<Monitor> {
  let token: string | undefined;
  if (settings.tokenFile !== undefined) {
    const path = resolve(settings.cwd, settings.tokenFile);
    try {
      token = (await readFile(path, 'utf8')).trim();
    } catch (error) {
      throw new MonitorError(`cannot read the monitor's token file ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (token === '') throw new MonitorError(`the monitor's token file ${path} is empty`);
  }
  const { attachMonitor } = await import('@cobald/monitor');
  try {
    return await attachMonitor(runtime, { host: settings.host, port: settings.port, token });
  } catch (error) {
    throw new MonitorError(`cannot serve the monitor on ${settings.host}:${settings.port}: ${(error as Error).message}`, { cause: error });
  }
}
