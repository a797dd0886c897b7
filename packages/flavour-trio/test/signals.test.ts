/**
 * SIGINT from inside a trio payload, with a runner that handles signals. It runs in a child
 * process: jest gives each test file its own copy of `process`, whose handlers never see real
 * signals. The child imports the built packages (the test target builds them first).
 */
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

function runFixture(name: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe('trio and shutdown signals', () => {
  it('shuts down gracefully on SIGINT sent from a trio payload', async () => {
    const result = await runFixture('sigint-from-payload.mjs');
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, 2).sort()).toEqual(['signaller halted', 'sleeper cleaned up']);
    expect(lines[2]).toBe('resolved, listeners left: 0');
    expect(lines).toHaveLength(3);
  });
});
