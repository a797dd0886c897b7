/**
 * Fixtures in child processes: signals must be tested this way, since jest gives each test file
 * its own copy of `process`. Shared with the other packages' tests (by path: the kernel cannot
 * depend on @cobald/test-support, which depends on it).
 */
export { runScript, nodeOfLine, installTimeout, type ScriptResult } from '../../../test-support/src/index.js';
