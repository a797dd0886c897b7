import fs from 'node:fs';
import path from 'node:path';
import type { Config } from 'jest';

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
 */
const root = path.join(__dirname, 'packages');

interface Workspace {
  readonly dir: string;
  readonly name: string;
}

const workspaces: Workspace[] = fs
  .readdirSync(root, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(root, entry.name, 'package.json')))
  .map((entry) => {
    const dir = path.join(root, entry.name);
    const { name } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string };
    return { dir, name };
  });

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const moduleNameMapper: Record<string, string> = {};
for (const { dir, name } of workspaces) {
  moduleNameMapper[`^${escape(name)}$`] = path.join(dir, 'src', 'index.ts');
  moduleNameMapper[`^${escape(name)}/(?!package\\.json$)(.+)$`] = path.join(dir, 'src', '$1.ts');
}
moduleNameMapper['^(\\.{1,2}/.*)\\.js$'] = '$1';

const project = (displayName: string, rootDir: string): Config => ({
  displayName,
  rootDir,
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper,
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
});

const config: Config = {
  projects: [
    ...workspaces.filter(({ dir }) => fs.existsSync(path.join(dir, 'test'))).map(({ name, dir }) => project(name, dir)),
    ...(fs.existsSync(path.join(__dirname, 'tools', 'test')) ? [project('tools', path.join(__dirname, 'tools'))] : []),
  ],
};

export default config;
