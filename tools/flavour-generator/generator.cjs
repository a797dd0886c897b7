// @ts-check
/**
 * `npx nx g ./tools/flavour-generator:flavour --name=<name>`: scaffold a flavour package that
 * builds, passes its tests (the conformance kit among them) and its lint-package check as
 * generated, modelled on packages/flavour-asyncio and packages/flavour-subprocess. Its payloads
 * are functions given an AbortSignal: replace src/runner.ts with the flavour's own mechanism.
 */
const path = require('node:path');
const { generateFiles, names, readJson } = require('@nx/devkit');

/**
 * @param {import('@nx/devkit').Tree} tree
 * @param {{ name: string, packageName?: string, directory?: string, description?: string }} options
 */
async function flavourGenerator(tree, options) {
  const match = /^(?:(@[a-z0-9][a-z0-9-._]*)\/)?([a-z][a-z0-9-]*)$/.exec(options.name ?? '');
  if (!match) {
    throw new Error(`--name must be a flavour name such as 'redis' or '@scope/redis', got '${options.name}'`);
  }
  const [, scope, base] = match;
  const flavourName = options.name;
  // The kernel's naming convention: it imports this package when a payload names the flavour.
  const packageName = options.packageName ?? (scope ? `${scope}/cobald-flavour-${base}` : `cobald-flavour-${base}`);
  const directory = options.directory ?? `packages/flavour-${base}`;
  if (tree.exists(directory)) throw new Error(`${directory} exists already: choose another --name or --directory`);
  const kernel = readJson(tree, 'packages/kernel/package.json').version;
  const testkit = readJson(tree, 'packages/flavour-testkit/package.json').version;
  const { className, propertyName } = names(base);
  generateFiles(tree, path.join(__dirname, 'files'), directory, {
    flavourName,
    packageName,
    identifier: propertyName,
    className,
    typesName: `${className}Types`,
    runnerName: `${className}Runner`,
    kernelRange: `^${kernel}`,
    kernelVersion: kernel,
    testkitVersion: testkit,
    description: options.description ?? `${base} flavour for @cobald/kernel: payloads are functions given an AbortSignal`,
    quotedName: JSON.stringify(flavourName).slice(1, -1),
    tmpl: '',
  });
  return () => {
    console.log(
      `\n${packageName} is in ${directory}. Next:\n` +
        `  npm install                       # link it into node_modules\n` +
        `  npx nx run ${packageName}:test     # build, lint-package and test it\n` +
        `See docs/writing-a-flavour.md.`,
    );
  };
}

module.exports = flavourGenerator;
module.exports.default = flavourGenerator;
