import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { ServiceRunner, silentLogger } from '@cobald/kernel';
import { inlineFlavour } from './support/inline-flavour.js';
import { runScript } from './support/subprocess.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const listeners = () => process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');

describe('shutdown signals', () => {
  it.each(['SIGINT', 'SIGTERM'])('shut down gracefully on %s sent from a payload, then remove the handlers', async (signal) => {
    const result = await runScript(fixture('signal-from-payload.mjs'), [signal]);
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(result.stdout).toBe('closed\nresolved, listeners left: 0\n');
  });

  it('forces exit on a second signal during shutdown', async () => {
    const result = await runScript(fixture('second-signal.mjs'));
    expect(result.stdout).toBe('');
    expect(result.code).toBe(128 + 15);
  });

  it('a first signal during a stop that a failure began lets that stop finish; only a second one forces the exit', async () => {
    const once = await runScript(fixture('signal-during-failure-stop.mjs'));
    expect(once).toMatchObject({ code: 0, signal: null });
    expect(once.stdout).toBe(
      "error: payload 'fails' (slow, #2) failed, so the runtime stopped: Error: the root failure\n" +
        'info: SIGTERM: already shutting down gracefully; another signal forces the exit\n' +
        'cleanup finished\n' +
        "accept rejected: payload 'fails' (slow, #2) failed, so the runtime stopped: Error: the root failure\n",
    );
    const twice = await runScript(fixture('signal-during-failure-stop.mjs'), ['twice']);
    expect(twice.code).toBe(128 + 15);
    expect(twice.stdout).toContain('error: SIGTERM during shutdown: forcing exit\n');
    expect(twice.stdout).not.toContain('cleanup finished');
  }, 30_000);

  it('installs handlers while accepting, and none when handleSignals is false', async () => {
    const inline = inlineFlavour();
    for (const handleSignals of [true, false]) {
      const before = listeners();
      const runner = new ServiceRunner({ logger: silentLogger, handleSignals });
      const accepting = runner.accept();
      expect(listeners()).toBe(handleSignals ? before + 2 : before);
      await runner.execute(() => undefined, { flavour: inline });
      await runner.shutdown();
      await accepting;
      expect(listeners()).toBe(before);
    }
  });
});
