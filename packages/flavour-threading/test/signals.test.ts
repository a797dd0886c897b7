/**
 * SIGINT from inside a threading payload, with a runner that handles signals. It runs in a
 * child process: jest gives each test file its own copy of `process`, whose handlers never see
 * real signals. The child imports the built packages (the test target builds them first).
 */
import { describe, expect, it } from '@jest/globals';
import { runFixture } from './support.js';

describe('threading and shutdown signals', () => {
  it('shuts down gracefully on SIGINT sent from a threading payload', async () => {
    const result = await runFixture('sigint-from-payload.mjs');
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    expect(result.stdout).toBe('resolved in under 5s: true, left: []\n');
  }, 20_000);
});
