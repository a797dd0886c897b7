import { describe, expect, it } from '@jest/globals';
import { subprocess, CommandFailed, type CommandResult } from 'cobald-flavour-subprocess';
import { tmpdir } from 'node:os';
import { realpathSync } from 'node:fs';
import { node, testRunner } from './support.js';

describe('subprocess execute', () => {
  it('resolves with the exit code and output of a command', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const result: CommandResult = await runner.execute(
      node('process.stdout.write(process.argv.slice(1).join(" ")); process.stderr.write("to stderr")', 'a'),
      { flavour: subprocess, args: ['b', 'c'] },
    );
    expect(result).toEqual({ code: 0, stdout: 'a b c', stderr: 'to stderr' });
    await runner.shutdown();
    await accepting;
  });

  it('runs in the given directory with the given environment, by name too', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const cwd = realpathSync(tmpdir());
    const { stdout } = await runner.execute(
      { ...node('console.log(process.cwd(), process.env.COBALD_TEST, typeof process.env.PATH)'), cwd, env: { COBALD_TEST: 'set' } },
      { flavour: 'subprocess' },
    );
    expect(stdout).toBe(`${cwd} set string\n`);
    await runner.shutdown();
    await accepting;
  });

  it('rejects with a CommandFailed that carries the code and output of a failing command', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const error = (await runner
      .execute(node('console.log("partial"); console.error("first\\nit broke"); process.exit(3)'), { flavour: subprocess })
      .catch((e: unknown) => e)) as CommandFailed;
    expect(error).toBeInstanceOf(CommandFailed);
    expect(error).toMatchObject({ code: 3, signal: null, stdout: 'partial\n', stderr: 'first\nit broke\n' });
    expect(error.message).toMatch(/^command '.*node.*' exited with code 3: it broke$/);
    await runner.shutdown();
    await accepting;
  });

  it('rejects with the spawn error of a program that does not exist', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    await expect(runner.execute({ command: 'cobald-no-such-program' }, { flavour: subprocess })).rejects.toMatchObject({
      code: 'ENOENT',
    });
    await runner.shutdown();
    await accepting;
  });

  it('says that the working directory does not exist, rather than that the program does not', async () => {
    const { runner } = testRunner();
    const accepting = runner.accept();
    const outcome = runner.execute({ command: process.execPath, args: ['-e', ''], cwd: '/cobald/no/such/folder' }, { flavour: subprocess });
    await expect(outcome).rejects.toThrow(`cannot run '${process.execPath}': its working directory /cobald/no/such/folder does not exist`);
    await expect(outcome).rejects.toMatchObject({ cause: { code: 'ENOENT' } });
    await runner.shutdown();
    await accepting;
  });

  it('keeps the last maxOutput bytes of the output', async () => {
    const { runner } = testRunner({ flavours: { subprocess: { maxOutput: 10 } } });
    const accepting = runner.accept();
    const { stdout } = await runner.execute(node('for (let i = 0; i < 1000; i++) process.stdout.write(String(i % 10))'), {
      flavour: subprocess,
    });
    expect(stdout).toBe('0123456789');
    await runner.shutdown();
    await accepting;
  });
});
