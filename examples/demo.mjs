/**
 * The quick-start demo: one payload of each flavour under one runtime, run by the daemon.
 *
 *   npm run demo          # builds, then: node packages/daemon/dist/cli.js run examples/demo.mjs
 *                         #   --log-pretty --monitor 9464: watch it live at http://127.0.0.1:9464/
 *   (Ctrl-C to stop; a second Ctrl-C forces the exit)
 *
 * - asyncio: a heartbeat, a promise that logs every second and stops through currentSignal();
 * - trio: an Effection operation that ticks with sleep() and logs from its `finally` when halted;
 * - threading: CPU-bound work in worker threads, prime numbers counted chunk by chunk with
 *   runtime.execute(), so the main thread stays free for the others; the loop that drives it
 *   runs under a supervisor (its executes show under it in the tree, SIGUSR1 logs it).
 *
 * The daemon calls the default export with the runtime and its logger before it accepts.
 */
import { currentSignal, supervisor } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { threading } from '@cobald/flavour-threading';
import { sleep } from 'effection';
import { setTimeout as delay } from 'node:timers/promises';

/** Primes in [from, to). Runs in a worker thread, so it must be self-contained. */
function countPrimes(from, to) {
  let count = 0;
  for (let n = Math.max(from, 2); n < to; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}

export default function demo(runtime, { logger }) {
  // asyncio: a promise, cancelled through its AbortSignal on shutdown.
  runtime.adopt(
    async function heartbeat() {
      const signal = currentSignal();
      let beats = 0;
      signal.addEventListener('abort', () => logger.info({ beats }, 'asyncio heartbeat cancelled'));
      while (true) {
        await delay(1000, undefined, { signal });
        logger.info({ beats: ++beats }, 'asyncio heartbeat');
      }
    },
    { flavour: asyncio },
  );

  // trio: an Effection operation; halting it runs its finally block.
  runtime.adopt(
    function* ticker(interval) {
      let ticks = 0;
      try {
        while (true) {
          yield* sleep(interval);
          logger.info({ ticks: ++ticks }, 'trio tick');
        }
      } finally {
        logger.info({ ticks }, 'trio ticker halted');
      }
    },
    { flavour: trio, args: [1500] },
  );

  // threading: chunks of CPU-bound work in worker threads, driven from a promise that runs
  // under a supervisor: restarted if it fails, and its executes show under it in the tree.
  async function primes(chunk) {
    const signal = currentSignal();
    let total = 0;
    // runtime.running turns false the moment a stop is asked for, before the signal aborts:
    // checked right before execute(), which would refuse to start work then.
    for (let from = 0; !signal.aborted && runtime.running; from += chunk) {
      const count = await runtime.execute(countPrimes, { flavour: threading, args: [from, from + chunk] });
      total += count;
      logger.info({ from, to: from + chunk, count, total }, 'threading: primes counted');
      await delay(500, undefined, { signal });
    }
  }
  runtime.adopt(
    supervisor({
      name: 'cpu',
      children: [{ name: 'primes', payload: primes, flavour: asyncio, args: [2_000_000], restart: 'on-failure' }],
    }),
  );
}
