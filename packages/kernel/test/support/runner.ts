/** A runner for tests, shared with the other packages' tests (by path: see subprocess.ts). */
export { testRunner } from '../../../test-support/src/index.js';
