import { describe, expect, it } from '@jest/globals';
import { PayloadFailure } from '@cobald/kernel';
import { subprocess, CommandFailed } from 'cobald-flavour-subprocess';
import { node, testRunner } from './support.js';

/**
 * What a failing command tells: a CommandFailed with its code and output. That an adopted
 * command's failure stops the runtime, a clean exit does not, and a service's run() returns its
 * command, the conformance kit checks (conformance.test.ts).
 */
describe('subprocess adopt', () => {
  it('stops the runtime when a command exits with another code: accept rejects with PayloadFailure', async () => {
    const { runner } = testRunner();
    runner.adopt(node('setInterval(() => {}, 1000)'), { flavour: subprocess, name: 'bystander' });
    runner.adopt(node('console.error("fatal: no config"); process.exit(2)'), { flavour: subprocess, name: 'culprit' });
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect(error).toBeInstanceOf(PayloadFailure);
    expect(error.payload).toMatchObject({ name: 'culprit', flavour: 'subprocess' });
    expect(error.cause).toBeInstanceOf(CommandFailed);
    expect(error.cause).toMatchObject({ code: 2, stderr: 'fatal: no config\n' });
    expect(error.message).toMatch(/payload 'culprit' \(subprocess, #\d+\) failed.*CommandFailed: .*exited with code 2: fatal: no config/);
  });
});
