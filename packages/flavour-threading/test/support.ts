/** Helpers shared by the threading tests: quiet runners, a direct runner, waiting on shared memory. */
import { ServiceRunner, createFlavourHost, silentLogger, type RunContext, type RunKind, type ServiceRunnerOptions } from '@cobald/kernel';
import { threading, type ThreadingOptions, type ThreadingRunner } from '@cobald/flavour-threading';
import { runScript } from '@cobald/test-support';

export { sleep, until, unexpected } from '@cobald/test-support';

/** A runner without signal handlers that logs nothing, with threading options. */
export function quietRunner(threadingOptions: ThreadingOptions = {}, options: ServiceRunnerOptions = {}): ServiceRunner {
  return new ServiceRunner({
    handleSignals: false,
    logger: silentLogger,
    flavours: { threading: { ...threadingOptions } },
    ...options,
  });
}

/** The flavour's own runner, driven without a ServiceRunner, to look at its threads. */
export function directRunner(options: ThreadingOptions = {}): ThreadingRunner {
  return threading.createRunner(createFlavourHost({ options: { ...options } })) as ThreadingRunner;
}

let lastId = 1_000_000;
export function context(kind: RunKind = 'execute', name = 'test payload'): RunContext {
  return { id: ++lastId, name, flavour: 'threading', kind };
}

/** The URL of a fixture module. */
export const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

/** Run a fixture script in a child process (it imports the built packages). */
export const runFixture = (name: string, timeout = 15_000) => runScript(fixture(name), [], { timeout });
