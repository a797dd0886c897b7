/** The process-wide default runner. */
import { ServiceRunner } from './service-runner.js';

/**
 * The runtime of the process, like cobald's `cobald.daemon.runtime`: services and libraries
 * adopt their payloads here, and the daemon's main calls `runtime.accept()`.
 *
 * @example
 * import { runtime } from '@cobald/kernel';
 * runtime.adopt(main, { flavour: 'asyncio' });
 * await runtime.accept();
 */
export const runtime: ServiceRunner = new ServiceRunner();
