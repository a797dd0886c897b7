/**
 * The flavour generator, run the way a developer runs it (`nx g ./tools/flavour-generator:flavour`),
 * in a copy of the workspace in a temporary folder: the generated package must build, pass
 * lint-package and its own tests there. Nothing is written into the repository.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repo, run } from './support.js';

const nx = path.join(repo, 'node_modules', 'nx', 'dist', 'bin', 'nx.js');
let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(path.join(tmpdir(), 'cobald-generator-'));
  for (const file of [
    'package.json',
    'package-lock.json',
    'nx.json',
    'lerna.json',
    'tsconfig.base.json',
    'tsconfig.json',
    'jest.config.mjs',
  ]) {
    cpSync(path.join(repo, file), path.join(workspace, file));
  }
  cpSync(path.join(repo, 'tools', 'flavour-generator'), path.join(workspace, 'tools', 'flavour-generator'), { recursive: true });
  cpSync(path.join(repo, 'tools', 'package-lint'), path.join(workspace, 'tools', 'package-lint'), { recursive: true });
  // The sources of the kernel and the conformance kit: the generated package's tests import
  // them, as in the repository.
  for (const pkg of ['kernel', 'flavour-testkit']) {
    cpSync(path.join(repo, 'packages', pkg), path.join(workspace, 'packages', pkg), {
      recursive: true,
      filter: (source) => !/[\\/](dist|test)$|\.tsbuildinfo$/.test(source),
    });
  }
  symlinkSync(path.join(repo, 'node_modules'), path.join(workspace, 'node_modules'), 'dir');
});

afterAll(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

describe('nx g ./tools/flavour-generator:flavour', () => {
  it('scaffolds a flavour package that builds, passes lint-package, its tests and the conformance kit', () => {
    const generated = run(process.execPath, [nx, 'g', './tools/flavour-generator:flavour', '--name=e2e-check', '--no-interactive'], {
      cwd: workspace,
    });
    expect(generated).toContain('CREATE packages/flavour-e2e-check/src/flavour.ts');
    const dir = path.join(workspace, 'packages', 'flavour-e2e-check');
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: 'cobald-flavour-e2e-check',
      type: 'module',
      peerDependencies: { '@cobald/kernel': expect.stringMatching(/^\^\d/) },
    });
    const flavourSource = readFileSync(path.join(dir, 'src', 'flavour.ts'), 'utf8');
    expect(flavourSource).toContain("name: 'e2e-check'");
    expect(flavourSource).toContain("'e2e-check': typeof e2eCheck;");

    const tested = run(process.execPath, [nx, 'run', 'cobald-flavour-e2e-check:test', '--output-style=stream'], { cwd: workspace });
    expect(tested).toMatch(/All good!/); // publint
    expect(tested).toMatch(/cobald-flavour-e2e-check v0\.1\.0/); // arethetypeswrong, which passed: nx succeeded
    expect(tested).toMatch(/PASS .*test\/conformance\.test\.ts/);
    expect(tested).toMatch(/Tests:\s+41 passed, 41 total/); // 40 checks of the kit, 1 of the flavour's own
    expect(existsSync(path.join(dir, 'dist', 'index.d.ts'))).toBe(true);
  }, 300_000);

  it('refuses a name that is not a flavour name, and an existing folder', () => {
    expect(() =>
      run(process.execPath, [nx, 'g', './tools/flavour-generator:flavour', '--name=Not_A_Name', '--no-interactive', '--dry-run'], {
        cwd: workspace,
      }),
    ).toThrow(/should match the pattern/);
    expect(() =>
      run(
        process.execPath,
        [nx, 'g', './tools/flavour-generator:flavour', '--name=x', '--directory=packages/kernel', '--no-interactive', '--dry-run'],
        {
          cwd: workspace,
        },
      ),
    ).toThrow(/packages\/kernel exists already/);
  }, 60_000);
});
