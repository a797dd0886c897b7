// @ts-check
import fs from 'node:fs';
import path from 'node:path';

/**
 * One jest project per package: every folder of packages/ that has a test/ folder, named after
 * its package.json (`--selectProjects @cobald/kernel`), so a new package needs no edit here.
 * Sources are ES modules, so jest runs them through its ESM loader (`--experimental-vm-modules`,
 * see each package's `test` script), and ts-jest compiles them with the package's own tsconfig.
 * Imports of a workspace package (and its subpaths, `cobald-flavour-subprocess/register`)
 * resolve to its sources, so a test always sees the code beside it, not a stale build.
 *
 * The `tools` project holds the repository's own checks (the flavour generator, packaging end
 * to end); it runs from tools/project.json after every package is built.
 *
 * Plain JavaScript on purpose: Node loads a `.ts` config itself from 22.18 on, as an ES module
 * (no `__dirname`), while Node 20 needs ts-node for it; an `.mjs` file loads the same way on
 * every line we test (see `engines` in package.json). tsconfig.json type-checks it.
 */
const workspaceRoot = import.meta.dirname;
const root = path.join(workspaceRoot, 'packages');

/** @typedef {{ readonly dir: string, readonly name: string }} Workspace */

/** @type {Workspace[]} */
const workspaces = fs
  .readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(root, entry.name, 'package.json')))
  .map((entry) => {
    const dir = path.join(root, entry.name);
    const { name } = /** @type {{ name: string }} */ (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')));
    return { dir, name };
  });

/** @param {string} text */
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** @type {Record<string, string>} */
const moduleNameMapper = {};
for (const { dir, name } of workspaces) {
  moduleNameMapper[`^${escape(name)}$`] = path.join(dir, 'src', 'index.ts');
  moduleNameMapper[`^${escape(name)}/(?!package\\.json$)(.+)$`] = path.join(dir, 'src', '$1.ts');
}
moduleNameMapper['^(\\.{1,2}/.*)\\.js$'] = '$1';

/**
 * @param {string} displayName
 * @param {string} rootDir
 * @returns {import('jest').Config}
 */
const project = (displayName, rootDir) => ({
  displayName,
  rootDir,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testEnvironment: 'node',
  // The kernel keeps one registry per process on globalThis, by design (two copies of the kernel
  // share it). Jest's clean-up of globals between test files wraps it in a proxy per file, until
  // a long run overflows the stack in a setter; it is left alone instead.
  testEnvironmentOptions: { globalsCleanup: 'off' },
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper,
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
});

/** @type {import('jest').Config} */
const config = {
  // Many tests start child processes (signals, the daemon, fixtures on built packages): on a
  // loaded 2-core machine jest's default of 5 s fails them for being slow, not wrong. A hang
  // still fails, after 30 s. (A global option: jest ignores it in a project's config.)
  testTimeout: 30_000,
  projects: [
    ...workspaces.filter(({ dir }) => fs.existsSync(path.join(dir, 'test'))).map(({ name, dir }) => project(name, dir)),
    ...(fs.existsSync(path.join(workspaceRoot, 'tools', 'test')) ? [project('tools', path.join(workspaceRoot, 'tools'))] : []),
  ],
};

export default config;
