/**
 * debianProgram against a stand-in apt-get that records its calls and "installs" a program into
 * a temporary folder: the real apt-get would change the machine.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { debianProgram } from '../src/index.js';

/** A folder with `apt-get` (it logs each call to `calls`, and `install` creates `program`) and the program's path. */
function standIn({ installs = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'cobald-apt-'));
  const program = join(dir, 'bin', 'tool');
  const aptGet = join(dir, 'apt-get');
  writeFileSync(
    aptGet,
    [
      '#!/bin/sh',
      `echo "start $*" >> ${dir}/calls`,
      'sleep 0.2',
      `echo "end $*" >> ${dir}/calls`,
      installs
        ? `[ "$1" = update ] || { mkdir -p ${dir}/bin && touch ${program}; }`
        : '[ "$1" = update ] || { echo "E: Unable to locate package tool" >&2; exit 100; }',
      '',
    ].join('\n'),
  );
  chmodSync(aptGet, 0o755);
  const calls = () => (existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : []);
  return { dir, program, aptGet, calls };
}

const privileged = (() => {
  if (process.getuid?.() === 0) return true;
  try {
    execFileSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('debianProgram', () => {
  it('returns a program that is there without running apt-get', async () => {
    const { dir, aptGet, calls } = standIn();
    const present = join(dir, 'present');
    writeFileSync(present, '');
    await expect(debianProgram(present, { aptGet })).resolves.toBe(present);
    expect(calls()).toEqual([]);
  });

  if (privileged) {
    it('installs a missing package once per caller, one install at a time, as root or through sudo', async () => {
      const { program, aptGet, calls } = standIn();
      const both = await Promise.all([
        debianProgram(program, { aptGet, package: 'tool' }),
        debianProgram(program, { aptGet, package: 'tool' }),
      ]);
      expect(both).toEqual([program, program]);
      expect(existsSync(program)).toBe(true);
      // The second caller may find the program installed after the first, or run apt-get after it; never inside it.
      const one = ['start update -qq', 'end update -qq', 'start install -y -qq tool', 'end install -y -qq tool'];
      expect([one, [...one, ...one]]).toContainEqual(calls());
    });

    it('fails, naming the command to run, when apt-get cannot install it', async () => {
      const { program, aptGet } = standIn({ installs: false });
      await expect(debianProgram(program, { aptGet, package: 'tool' })).rejects.toThrow(
        /could not install it \(run 'sudo apt-get install -y tool'\):\nE: Unable to locate package tool/,
      );
    });
  } else {
    it('without root or sudo, fails naming the one command to run', async () => {
      const { program, aptGet, calls } = standIn();
      await expect(debianProgram(program, { aptGet, package: 'tool' })).rejects.toThrow(
        `this test needs ${program}: install Debian's tool with 'sudo apt-get install -y tool'`,
      );
      expect(calls()).toEqual([]);
    });
  }
});
