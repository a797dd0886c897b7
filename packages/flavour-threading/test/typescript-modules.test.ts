/**
 * Module payloads written in TypeScript (issue 12): on every Node.js line that strips types
 * (22.18+, 24, 26) `{ module: new URL('./job.ts', import.meta.url) }` runs; where types are not
 * stripped, it fails with an error that says what to do. Each line runs in a child process with
 * its own binary (nodeOfLine installs a missing one; when it cannot, this test fails, it is never skipped).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { installTimeout, nodeOfLine, runScript } from '@cobald/test-support';
import { fixture } from './support.js';

const major = Number(process.versions.node.split('.')[0]);
const run = promisify(execFile);

describe('threading module payloads written in TypeScript', () => {
  it.each([22, 24, 26])(
    'run on Node.js %i, which strips types',
    async (line) => {
      const node = await nodeOfLine(line);
      const result = await runScript(fixture('ts-module-payload.mjs'), [], { node, timeout: 20_000 });
      expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
      expect(result.stdout).toBe(`${Math.max(line, major)}: area 12, scaled {"width":6,"height":8}\n`);
    },
    installTimeout,
  );

  it('fail with an error that says what to do where types are not stripped', async () => {
    // Node 20 cannot strip types; later lines can be told not to, and their workers inherit that.
    const flags = major >= 22 ? ['--no-experimental-strip-types'] : [];
    const { stdout } = await run(process.execPath, [...flags, fileURLToPath(fixture('ts-module-payload.mjs'))], { timeout: 20_000 });
    expect(stdout).toMatch(
      /^TypeError: the TypeScript module 'file:.*\/job\.ts' of a threading payload cannot be loaded: Node\.js v\d+\.\d+\.\d+ does not strip TypeScript types .*compile the module to JavaScript.*\(cause: ERR_UNKNOWN_FILE_EXTENSION\)\n$/,
    );
  }, 30_000);
});
