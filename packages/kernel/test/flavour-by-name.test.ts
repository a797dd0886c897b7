import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

describe('flavours given by name', () => {
  // A child process on the built kernel, in an app folder with installed flavour packages.
  const app = fileURLToPath(new URL('./fixtures/app/', import.meta.url));
  const { stdout, stderr, status } = spawnSync(process.execPath, ['by-name.mjs'], { cwd: app, encoding: 'utf8', timeout: 10_000 });
  const outcome = Object.fromEntries(
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(/: (.*)/s).slice(0, 2)),
  );

  it('runs', () => {
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });

  it('imports the installed package named by the convention, which registers the flavour', () => {
    expect(outcome['fixture']).toBe('5');
  });

  it('names the package to install when it is not installed', () => {
    expect(outcome['quantum']).toMatch(/^UnknownFlavour: .*'cobald-flavour-quantum' is not installed/);
  });

  it('refuses a flavour made for another kernel version', () => {
    expect(outcome['scoped']).toMatch(
      /^IncompatibleFlavour: flavour '@acme\/widget' 2\.0\.0 supports @cobald\/kernel \^99\.0\.0, but this is 0\.1\.0/,
    );
  });

  it('validates the payload once the flavour has loaded', () => {
    expect(outcome['bad payload']).toBe('TypeError: a fixture payload is a function');
  });
});
