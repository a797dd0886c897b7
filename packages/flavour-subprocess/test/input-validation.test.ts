import { describe, expect, it } from '@jest/globals';
import { subprocess } from 'cobald-flavour-subprocess';
import { testRunner } from './support.js';

describe('subprocess input validation', () => {
  it.each([
    ['a string', 'ls', /a subprocess payload is \{ command: string, .*\}, got string/],
    ['null', null, /got null/],
    ['a function', () => 'ls', /got function/],
    ['an empty command', { command: '' }, /'command' must be a non-empty string, got an empty string/],
    ['args that are not strings', { command: 'ls', args: [1] }, /'args' must be an array of strings/],
    ['a cwd that is not a string', { command: 'ls', cwd: 1 }, /'cwd' must be a string, got number/],
    ['an env with numbers', { command: 'ls', env: { A: 1 } }, /'env' must map names to strings/],
  ])('refuses %s with a TypeError', async (_, payload, message) => {
    const { runner } = testRunner();
    expect(() => runner.adopt(payload as never, { flavour: subprocess })).toThrow(TypeError);
    expect(() => runner.adopt(payload as never, { flavour: subprocess })).toThrow(message);
    await expect(runner.execute(payload as never, { flavour: 'subprocess' })).rejects.toThrow(TypeError);
  });

  it('refuses extra args that are not strings', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await expect(runner.execute({ command: 'ls' }, { flavour: subprocess, args: [1 as unknown as string] })).rejects.toThrow(
      /the args of subprocess payload 'ls' must be strings/,
    );
    await runner.shutdown();
    await accepting;
  });

  it('refuses a bad maxOutput option when the runner starts', async () => {
    const { runner } = testRunner({ flavours: { subprocess: { maxOutput: -1 } } });
    const accepting = runner.accept();
    await expect(runner.execute({ command: 'ls' }, { flavour: subprocess })).rejects.toThrow(/'maxOutput' must be a positive integer/);
    await runner.shutdown();
    await accepting.catch(() => {});
  });
});
