/** A runner for tests, shared with the other packages' tests (by path: see subprocess.ts). */
export { testRunner, quietRunner } from '../../../test-support/src/index.js';
