import path from 'node:path';
import type { Config } from 'jest';

/**
 * One jest project per package. Sources are ES modules, so jest runs them through its
 * ESM loader (`--experimental-vm-modules`, see each package's `test` script), and ts-jest
 * compiles them with the package's own tsconfig. `@cobald/*` imports resolve to the sources,
 * so a test always sees the code beside it, not a stale build.
 */
const packages = ['kernel', 'flavour-asyncio', 'flavour-trio', 'flavour-threading'];

const project = (name: string): Config => ({
  displayName: `@cobald/${name}`,
  rootDir: path.join(__dirname, 'packages', name),
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^@cobald/([a-z-]+)$': '<rootDir>/../$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
});

const config: Config = {
  projects: packages.map(project),
};

export default config;
