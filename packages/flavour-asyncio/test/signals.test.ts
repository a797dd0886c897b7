import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

describe('SIGINT from inside an asyncio payload', () => {
  // A child process: jest's per-file copy of `process` never receives real signals.
  it('shuts the runtime down gracefully', () => {
    const script = fileURLToPath(new URL('./fixtures/sigint-from-payload.mjs', import.meta.url));
    const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 10_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('waiter cancelled\nresolved\n');
  });
});
