import { describe, expect, it } from '@jest/globals';
import { PayloadFailure, service } from '@cobald/kernel';
import { subprocess, CommandFailed } from 'cobald-flavour-subprocess';
import { setTimeout as delay } from 'node:timers/promises';
import { node, testRunner } from './support.js';

describe('subprocess adopt', () => {
  it('runs a command to its end; exit code 0 is no failure', async () => {
    const { runner } = testRunner();
    runner.adopt(node('process.exit(0)'), { flavour: subprocess });
    const accepting = runner.accept();
    await delay(500);
    expect(runner.running).toBe(true);
    await runner.shutdown();
    await expect(accepting).resolves.toBeUndefined();
  });

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

  it('runs a service whose run() returns its command', async () => {
    const { runner } = testRunner();
    @service({ flavour: subprocess })
    class Broken {
      run() {
        return node('process.exit(4)');
      }
    }
    new Broken();
    const error = (await runner.accept().catch((e: unknown) => e)) as PayloadFailure;
    expect(error).toBeInstanceOf(PayloadFailure);
    expect(error.payload.name).toBe('Broken.run');
    expect(error.cause).toMatchObject({ code: 4 });
  });
});
