/**
 * Packaging end to end: every public package is packed with `npm pack` (after nx has built
 * them: the tools project's test depends on their build), and installed from its tarball into
 * fresh apps in a temporary folder, as a user would install it from the registry. Only their
 * third-party dependencies (effection, semver, …) come from the registry (or npm's cache).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repo, run } from './support.js';

const rootManifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
}

let temp: string;
/** Tarball paths by package name. */
const tarballs = new Map<string, string>();

beforeAll(() => {
  temp = mkdtempSync(path.join(tmpdir(), 'cobald-packaging-'));
  const packed = path.join(temp, 'tarballs');
  mkdirSync(packed);
  for (const folder of readdirSync(path.join(repo, 'packages'))) {
    const dir = path.join(repo, 'packages', folder);
    if (!existsSync(path.join(dir, 'package.json'))) continue;
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
    if (manifest.private) continue;
    const output = run('npm', ['pack', '--json', '--pack-destination', packed], { cwd: dir });
    const [{ filename }] = JSON.parse(output.slice(output.indexOf('['))) as [{ filename: string }];
    tarballs.set(manifest.name, path.join(packed, filename));
  }
}, 120_000);

afterAll(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
});

/**
 * Make an app in the temp folder that depends on the tarballs of `packages`, and install it.
 * `manifest` adds to its package.json (third-party `dependencies` from the registry, a `jest` key).
 */
function app(
  name: string,
  packages: readonly string[],
  files: Record<string, string>,
  manifest: { readonly dependencies?: Record<string, string>; readonly [key: string]: unknown } = {},
): string {
  const dir = path.join(temp, name);
  mkdirSync(dir);
  const dependencies = Object.fromEntries(
    packages.map((pkg) => {
      const tarball = tarballs.get(pkg);
      if (!tarball) throw new Error(`no tarball of ${pkg}: is it a public package in packages/?`);
      return [pkg, `file:${tarball}`];
    }),
  );
  const { dependencies: thirdParty, ...rest } = manifest;
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name, private: true, ...rest, dependencies: { ...dependencies, ...thirdParty } }, null, 2),
  );
  for (const [file, source] of Object.entries(files)) writeFileSync(path.join(dir, file), source);
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir });
  return dir;
}

/** The JSON line an app printed (beside any warnings of Node). */
function printed(output: string): Record<string, unknown> {
  const line = output.split('\n').findLast((text) => text.startsWith('{'));
  if (!line) throw new Error(`the app printed no result:\n${output}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** The packages installed in an app's node_modules, by name. */
function installed(dir: string): string[] {
  const root = path.join(dir, 'node_modules');
  return readdirSync(root)
    .filter((entry) => !entry.startsWith('.'))
    .flatMap((entry) => (entry.startsWith('@') ? readdirSync(path.join(root, entry)).map((sub) => `${entry}/${sub}`) : [entry]));
}

describe('the packed packages, installed in fresh apps', () => {
  it('packs every public package', () => {
    expect([...tarballs.keys()]).toEqual(
      expect.arrayContaining([
        '@cobald/kernel',
        '@cobald/flavour-asyncio',
        '@cobald/flavour-trio',
        '@cobald/flavour-threading',
        'cobald-flavour-subprocess',
        '@cobald/flavour-testkit',
        '@cobald/flavour-bullmq',
      ]),
    );
  });

  it('an ESM app with only the kernel and asyncio runs asyncio payloads; naming trio names its package', () => {
    const dir = app('esm-asyncio', ['@cobald/kernel', '@cobald/flavour-asyncio'], {
      'app.mjs': `
        import { ServiceRunner, silentLogger } from '@cobald/kernel';
        import { asyncio } from '@cobald/flavour-asyncio';

        const runner = new ServiceRunner({ handleSignals: false, logger: silentLogger });
        const accepting = runner.accept();
        const byObject = await runner.execute(async (a, b) => a + b, { flavour: asyncio, args: [1, 2] });
        const byName = await runner.execute(() => 'by name', { flavour: 'asyncio' });
        const trio = await runner.execute(function* () {}, { flavour: 'trio' }).then(
          () => 'trio ran',
          (error) => error.name + ': ' + error.message,
        );
        await runner.shutdown();
        await accepting;
        console.log(JSON.stringify({ byObject, byName, trio }));
      `,
    });
    const result = printed(run(process.execPath, ['app.mjs'], { cwd: dir }));
    expect(result).toMatchObject({ byObject: 3, byName: 'by name' });
    // UnknownFlavour names the package to install, whatever the rest of its wording.
    expect(String(result.trio)).toMatch(/^UnknownFlavour: unknown flavour 'trio'.*'@cobald\/flavour-trio'/);
    const modules = installed(dir);
    expect(modules).toEqual(expect.arrayContaining(['@cobald/kernel', '@cobald/flavour-asyncio']));
    expect(modules.filter((name) => /flavour/.test(name))).toEqual(['@cobald/flavour-asyncio']);
    expect(modules).not.toContain('effection');
  }, 180_000);

  it('an ESM app with every flavour runs a payload of each', () => {
    const flavours = ['@cobald/flavour-asyncio', '@cobald/flavour-trio', '@cobald/flavour-threading', 'cobald-flavour-subprocess'];
    const dir = app('esm-all', ['@cobald/kernel', ...flavours], {
      'app.mjs': `
        import { ServiceRunner, silentLogger } from '@cobald/kernel';
        import { asyncio } from '@cobald/flavour-asyncio';
        import { trio } from '@cobald/flavour-trio';
        import { threading } from '@cobald/flavour-threading';
        import 'cobald-flavour-subprocess/register';
        import { sleep } from 'effection';

        const runner = new ServiceRunner({ handleSignals: false, logger: silentLogger });
        const accepting = runner.accept();
        const results = {
          asyncio: await runner.execute(async (x) => x + 1, { flavour: asyncio, args: [1] }),
          trio: await runner.execute(function* (x) { yield* sleep(1); return x * 2; }, { flavour: trio, args: [21] }),
          threading: await runner.execute((a, b) => a * b, { flavour: threading, args: [6, 7] }),
          subprocess: (await runner.execute(
            { command: process.execPath, args: ['-e', 'process.stdout.write("from a child")'] },
            { flavour: 'subprocess' },
          )).stdout,
        };
        await runner.shutdown();
        await accepting;
        console.log(JSON.stringify(results));
      `,
    });
    expect(printed(run(process.execPath, ['app.mjs'], { cwd: dir }))).toEqual({
      asyncio: 2,
      trio: 42,
      threading: 42,
      subprocess: 'from a child',
    });
    expect(installed(dir)).toEqual(expect.arrayContaining([...flavours, 'effection']));
  }, 180_000);

  it('a CommonJS app require()s the kernel and asyncio', () => {
    const dir = app('cjs-asyncio', ['@cobald/kernel', '@cobald/flavour-asyncio'], {
      'app.cjs': `
        const { ServiceRunner, silentLogger } = require('@cobald/kernel');
        const { asyncio } = require('@cobald/flavour-asyncio');

        const runner = new ServiceRunner({ handleSignals: false, logger: silentLogger });
        const accepting = runner.accept();
        runner
          .execute(async (a, b) => a * b, { flavour: asyncio, args: [6, 7] })
          .then(async (product) => {
            await runner.shutdown();
            await accepting;
            console.log(JSON.stringify({ product }));
          });
      `,
    });
    // Node 20.19+ loads ES modules through require() without a flag; a warning goes to stderr.
    expect(printed(run(process.execPath, ['app.cjs'], { cwd: dir }))).toEqual({ product: 42 });
  }, 180_000);

  it("a flavour author's app runs the conformance kit under node:test and under jest", () => {
    // The options a flavour author writes once, shared by one test file per runner.
    const options = `
      import { writeFileSync } from 'node:fs';
      import { setTimeout as delay } from 'node:timers/promises';
      import { currentSignal } from '@cobald/kernel';
      import { asyncio } from '@cobald/flavour-asyncio';

      export const options = {
        flavour: asyncio,
        register: () => import('@cobald/flavour-asyncio/register'),
        payloads: {
          returns: (value) => ({ payload: async () => value }),
          returnsAfter: (ms, value) => ({ payload: async () => { await delay(ms); return value; } }),
          completes: () => ({ payload: async () => {} }),
          throws: (message) => ({ payload: async () => { throw new Error(message); } }),
          failsTimes: (failures) => {
            let runs = 0;
            return { payload: async () => { if (++runs <= failures) throw new Error('failure ' + runs); } };
          },
          waitsForCancel: (cleanupMs, readyFile) => ({
            payload: async () => {
              writeFileSync(readyFile, '');
              try {
                await delay(1e9, undefined, { signal: currentSignal() });
              } finally {
                await delay(cleanupMs);
              }
            },
          }),
          ignoresCancel: (readyFile) => ({ payload: () => { writeFileSync(readyFile, ''); return new Promise(() => {}); } }),
        },
      };
    `;
    const testFile = (runner: string) => `
      import { describe, it } from '${runner}';
      import { describeConformance } from '@cobald/flavour-testkit';
      import { options } from './conformance-options.mjs';

      describeConformance({ describe, it, ...options });
    `;
    const dir = app(
      'kit-author',
      ['@cobald/kernel', '@cobald/flavour-asyncio', '@cobald/flavour-testkit'],
      {
        'conformance-options.mjs': options,
        'conformance.node.mjs': testFile('node:test'),
        'conformance.test.mjs': testFile('@jest/globals'),
      },
      { type: 'module', jest: { transform: {} }, dependencies: { jest: rootManifest.devDependencies.jest! } },
    );
    const checks = 40;
    const nodeTest = run(process.execPath, ['--test', '--test-reporter=tap', 'conformance.node.mjs'], { cwd: dir });
    expect(nodeTest).toMatch(new RegExp(`^# pass ${checks}$`, 'm'));
    expect(nodeTest).toMatch(/^# fail 0$/m);
    const jest = run(process.execPath, ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js'], { cwd: dir });
    expect(jest).toMatch(new RegExp(`Tests:\\s+${checks} passed, ${checks} total`));
  }, 300_000);
});
