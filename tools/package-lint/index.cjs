// @ts-check
/**
 * A local nx plugin: every public package of packages/* gets a `lint-package` target that
 * checks the package as it will be published, from the tarball `npm pack` makes of it:
 * - publint --strict: package.json fields, `exports`, `files`, that what they name exists;
 * - attw (@arethetypeswrong/cli): that TypeScript resolves the right types for every entry
 *   point under node16 and bundler resolution. The packages are ES modules, which CommonJS code
 *   reaches with require(esm) on Node >= 20.19, so attw's `cjs-resolves-to-esm` notice is
 *   expected and ignored; the node10 profile is skipped because it cannot see subpath exports.
 * Each package's `test` depends on it (nx.json targetDefaults), so `npm test` runs it.
 */
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { createNodesFromFiles } = require('@nx/devkit');

const command = 'publint --strict . && attw --pack . --profile node16 --ignore-rules cjs-resolves-to-esm --format ascii';

/** @type {import('@nx/devkit').CreateNodesV2} */
const createNodesV2 = [
  'packages/*/package.json',
  (files, options, context) =>
    createNodesFromFiles(
      (file) => {
        const root = dirname(file);
        const manifest = JSON.parse(readFileSync(join(context.workspaceRoot, file), 'utf8'));
        if (manifest.private || !existsSync(join(context.workspaceRoot, root, 'tsconfig.build.json'))) return {};
        return {
          projects: {
            [root]: {
              targets: {
                'lint-package': {
                  command,
                  options: { cwd: root },
                  dependsOn: ['build'],
                  inputs: ['production', { externalDependencies: ['publint', '@arethetypeswrong/cli'] }],
                  cache: true,
                  metadata: { description: 'Check the packed package with publint and arethetypeswrong' },
                },
              },
            },
          },
        };
      },
      files,
      options,
      context,
    ),
];

module.exports = { name: 'cobald-package-lint', createNodesV2 };
