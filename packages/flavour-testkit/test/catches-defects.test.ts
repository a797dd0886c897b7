/**
 * The kit fails a flavour that breaks the contract, with a message that says what is wrong:
 * each broken flavour here has one defect, and the checks of that rule must reject.
 */
import { describe, expect, it } from '@jest/globals';
import { runScript } from '@cobald/test-support';
import { functionFlavour, functionPayloads, collectChecks, type Defects } from './support.js';

/** Run the checks titled `titles` for a flavour with `defects`; each must reject, matching its pattern. */
async function expectFailures(name: string, defects: Defects, failing: Record<string, RegExp>): Promise<void> {
  const checks = collectChecks({ flavour: functionFlavour(name, defects), payloads: functionPayloads, timeout: 3000 });
  for (const [title, reason] of Object.entries(failing)) {
    const check = checks.get(title);
    if (!check) throw new Error(`no check titled '${title}'; the checks are:\n${[...checks.keys()].join('\n')}`);
    await expect(check()).rejects.toThrow(reason);
  }
}

describe('the conformance kit fails a flavour that breaks the contract', () => {
  it('that swallows errors', async () => {
    await expectFailures(
      'kit-swallows',
      { swallowsErrors: true },
      {
        "execute() › rejects with the payload's error, and the runner runs on":
          /execute\(\) resolved with undefined, expected the payload's error/,
        'adopt() › a payload that fails stops the runtime: accept() rejects with PayloadFailure, its error as cause':
          /waited 3000 ms for accept\(\) to reject: an adopted payload failed/,
        "restart policies › 'on-failure' runs a payload that fails twice three times, and the runtime runs on":
          /a payload that failed twice is restarted twice/,
      },
    );
  });

  it('that takes a cancellation for a failure', async () => {
    await expectFailures(
      'kit-cancel-fails',
      { cancellationAsFailure: true },
      {
        'adopt() › shutdown() cancels a running payload; accept() resolves':
          /accept\(\) rejected with PayloadFailure: .*stopped: AbortError.*, but a shutdown\(\) whose payloads end cancelled is no failure/,
        'execute() › rejects with PayloadCancelled when the runtime stops under the payload': /must reject with PayloadCancelled/,
        "instrumentation › 'cobald:payload' traces adopts: a clean end, and a cancelled one with its cancellation as error":
          /but a shutdown\(\) whose payloads end cancelled is no failure/,
      },
    );
  });

  it('that drops the values of adopted payloads without saying so', async () => {
    await expectFailures(
      'kit-drops-values',
      { dropsAdoptedValues: true },
      {
        'adopt() › a payload that returns a value fails with OrphanedReturn: nobody receives the value':
          /waited 3000 ms for accept\(\) to reject/,
      },
    );
  });

  it('that accepts any payload', async () => {
    await expectFailures(
      'kit-validates-nothing',
      { validatesNothing: true },
      {
        'execute() › refuses payloads the flavour cannot run with a TypeError, before running anything': /must throw a TypeError/,
      },
    );
  });

  it.each([
    ['run', 5],
    ['runner', 1],
  ] as const)('that leaves a timer per %s keeping the process alive after close(), by name', async (per, timers) => {
    const intervals: NodeJS.Timeout[] = [];
    try {
      await expectFailures(
        `kit-leaky-per-${per}`,
        { leaks: { per, intervals } },
        {
          "shutdown › after the runtime stopped and closed the flavour's runner, nothing of the flavour keeps the process alive":
            new RegExp(
              `flavour 'kit-leaky-per-${per}' left ${timers} × Timeout keeping the process alive after its runner's close\\(\\) resolved`,
            ),
        },
      );
    } finally {
      intervals.forEach(clearInterval);
    }
  });

  it('that does not register itself', async () => {
    await expectFailures(
      'kit-unregistered',
      { unregistered: true },
      {
        'registration by name › importing the flavour registered it under its name':
          /'kit-unregistered' is not registered: call registerFlavour\(\)/,
        '@service › a service may name its flavour by the registered name':
          /accept\(\) rejected with PayloadFailure: .*unknown flavour 'kit-unregistered'.* before by-name ran/,
      },
    );
  });
});

describe('the conformance kit under node:test', () => {
  it('fails a flavour that leaves a timer keeping the process alive, by name', async () => {
    const result = await runScript(new URL('./fixtures/leaky.node.mjs', import.meta.url), [], {
      execArgv: ['--test', '--test-reporter=tap'],
      timeout: 60_000,
    });
    expect(result).toMatchObject({ code: 1, signal: null });
    expect(result.stdout).toMatch(
      /^ *not ok \d+ - after the runtime stopped and closed the flavour's runner, nothing of the flavour keeps the process alive$/m,
    );
    expect(result.stdout).toMatch(/flavour 'node-leaky' left 5 × Timeout keeping the process alive after its runner's close\(\) resolved/);
    expect(result.stdout).toMatch(/^not ok 1 - flavour 'node-leaky' conforms to the cobald kernel's contract$/m);
    expect(result.stdout).toMatch(/^# fail 1$/m);
  }, 60_000);
});

describe('the conformance kit refuses options it cannot work with', () => {
  it('names a missing payload kind', () => {
    const { ignoresCancel: _missing, ...partial } = functionPayloads;
    expect(() => collectChecks({ flavour: functionFlavour('kit-partial', { unregistered: true }), payloads: partial as never })).toThrow(
      new TypeError("describeConformance() needs 'payloads.ignoresCancel': a function that makes such a payload in your flavour's kind"),
    );
  });

  it('names an unknown section', () => {
    expect(() =>
      collectChecks({
        flavour: functionFlavour('kit-sections', { unregistered: true }),
        payloads: functionPayloads,
        sections: ['execute', 'nap' as never],
      }),
    ).toThrow(/unknown section 'nap'; the sections are execute, adopt, /);
  });

  it('runs only the sections asked for', () => {
    const checks = collectChecks({
      flavour: functionFlavour('kit-only-execute', { unregistered: true }),
      payloads: functionPayloads,
      sections: ['execute'],
    });
    expect([...checks.keys()].every((title) => title.startsWith('execute() › '))).toBe(true);
    expect(checks.size).toBeGreaterThan(3);
  });
});
