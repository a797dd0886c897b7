// Load: many concurrent idle payloads across the flavours, then one graceful shutdown; reports
// how long starting and stopping took and the memory used. Runs on the built packages:
//   npx nx run-many -t build && node --expose-gc tools/reliability/load.mjs [--idle 100000] [--threads 500]
// --idle: idle asyncio + trio payloads in total (half each); --threads: idle threading payloads
// (each holds a worker thread of its own; see docs/reliability.md for how many a machine allows).
import { parseArgs } from 'node:util';
import { ServiceRunner, currentSignal } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { threading } from '@cobald/flavour-threading';
import { suspend } from 'effection';

const { values } = parseArgs({ options: { idle: { type: 'string', default: '100000' }, threads: { type: 'string', default: '500' } } });
const idle = Number(values.idle);
const threads = Number(values.threads);
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const memory = () => {
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
};
const warnings = [];
const logger = { error: (o, m) => warnings.push(m), warn: (o, m) => warnings.push(m), info() {}, debug() {} };
const runner = new ServiceRunner({ handleSignals: false, gracePeriod: 30_000, logger, flavours: { threading: { maxWorkers: 2 } } });

const base = memory();
let stopped = 0;
const started = Date.now();
const accepting = runner.accept();
await runner.whenRunning();
for (let i = 0; i < idle / 2; i++) {
  runner.adopt(
    async function idleAsyncio() {
      const signal = currentSignal();
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      stopped++;
    },
    { flavour: asyncio },
  );
  runner.adopt(
    function* idleTrio() {
      try {
        yield* suspend();
      } finally {
        stopped++;
      }
    },
    { flavour: trio },
  );
}
const sab = new Int32Array(new SharedArrayBuffer(4));
for (let i = 0; i < threads; i++) {
  runner.adopt(
    (ready) => {
      Atomics.add(ready, 0, 1);
      return new Promise(() => {});
    },
    { flavour: threading, args: [sab], name: 'idleThread' },
  );
}
while (Atomics.load(sab, 0) < threads && Date.now() - started < 600_000) await new Promise((r) => setTimeout(r, 50));
const running = Date.now() - started;
const loaded = memory();
const live = runner
  .tree()
  .flavours.map((f) => `${f.flavour} ${f.payloads.length}`)
  .join(', ');
const stopAt = Date.now();
await runner.shutdown();
await accepting;
const stopping = Date.now() - stopAt;
const after = memory();
console.log(
  JSON.stringify({
    idle,
    threads,
    live,
    threadsRunning: Atomics.load(sab, 0),
    startMs: running,
    shutdownMs: stopping,
    stoppedGracefully: stopped,
    warnings: warnings.length,
  }),
);
console.log(
  `running: ${live}; started in ${running} ms; rss ${mb(base.rss)} -> ${mb(loaded.rss)} (heap ${mb(base.heapUsed)} -> ${mb(loaded.heapUsed)})`,
);
console.log(
  `graceful shutdown: ${stopping} ms, ${stopped} of ${idle} asyncio/trio payloads ran their stop code, threads terminated; after: rss ${mb(after.rss)}, heap ${mb(after.heapUsed)}`,
);
console.log(`left active: ${JSON.stringify(process.getActiveResourcesInfo().filter((t) => /Worker|MessagePort|Timeout/.test(t)))}`);
if (stopped !== idle || warnings.length) process.exitCode = 1;
