/** The kernel's flavour contract, run by the conformance kit against the subprocess flavour. */
import { describe, it } from '@jest/globals';
import { describeConformance } from '@cobald/flavour-testkit';
import { subprocess, type CommandResult } from 'cobald-flavour-subprocess';

const sh = (script: string, ...args: (string | number)[]) => ({ payload: { command: 'sh', args: ['-c', script, ...args.map(String)] } });
const seconds = (ms: number) => (ms / 1000).toFixed(3);

// Each loop sleeps briefly in the foreground, so a signal's trap runs within 50 ms and no
// background child outlives the shell (it would hold the output pipes open).
describeConformance({
  describe,
  it,
  flavour: subprocess,
  register: () => import('cobald-flavour-subprocess/register'),
  // An adopted command has no value: its exit code is its outcome.
  adoptedValues: 'discarded',
  resultOf: (result) => (result as CommandResult).stdout,
  payloads: {
    returns: (value) => ({ payload: { command: 'printf', args: ['%s', value] } }),
    returnsAfter: (ms, value) => sh('sleep "$0"; printf %s "$1"', seconds(ms), value),
    completes: () => ({ payload: { command: 'true' } }),
    throws: (message) => sh('echo "$0" >&2; exit 3', message),
    failsTimes: (failures, counterFile) =>
      sh(
        'echo run >> "$1"; runs=$(wc -l < "$1"); if [ "$runs" -le "$0" ]; then echo "failure $runs" >&2; exit 1; fi',
        failures,
        counterFile,
      ),
    waitsForCancel: (cleanupMs, readyFile) =>
      sh('trap \'sleep "$0"; exit 0\' TERM; : > "$1"; while :; do sleep 0.05; done', seconds(cleanupMs), readyFile),
    ignoresCancel: (readyFile) => sh('trap "" TERM; : > "$0"; while :; do sleep 0.05; done', readyFile),
  },
});
