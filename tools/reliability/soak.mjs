// Soak: continuous adopt/execute churn in every flavour for --minutes, with payloads that fail
// now and then under restart: 'on-failure' policies; samples heap, RSS and active handles every
// --sample seconds and reports whether they grew. Not part of CI. On the built packages:
//   npx nx run-many -t build && node --expose-gc tools/reliability/soak.mjs --minutes 5
import { parseArgs } from 'node:util';
import { ServiceRunner, currentSignal } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { trio } from '@cobald/flavour-trio';
import { threading } from '@cobald/flavour-threading';
import { sleep } from 'effection';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '5' }, sample: { type: 'string', default: '10' } } });
const duration = Number(values.minutes) * 60_000;
const every = Number(values.sample) * 1000;
let restarts = 0;
let logged = 0;
const logger = { error: () => logged++, warn: (o, m) => (m?.includes('restart') ? restarts++ : logged++), info() {}, debug() {} };
const runner = new ServiceRunner({ handleSignals: false, gracePeriod: 2000, logger, flavours: { threading: { maxWorkers: 2 } } });
// Fails on about one run in `odds`; restarted at once, often enough never to exceed the intensity.
const supervision = { restart: 'on-failure', intensity: { restarts: 1000, within: 1000 }, backoff: { initial: 1, max: 10 } };
const accepting = runner.accept();
await runner.whenRunning();

runner.adopt(
  async function flakyAsyncio(odds) {
    const signal = currentSignal();
    for (let i = 0; !signal.aborted; i++) {
      await new Promise((r) => setTimeout(r, 5));
      if (Math.random() * odds < 1) throw new Error('asyncio hiccup');
    }
  },
  { flavour: asyncio, args: [200], ...supervision },
);
runner.adopt(
  function* flakyTrio(odds) {
    for (;;) {
      yield* sleep(5);
      if (Math.random() * odds < 1) throw new Error('trio hiccup');
    }
  },
  { flavour: trio, args: [200], ...supervision },
);
runner.adopt((odds) => new Promise((_, reject) => setTimeout(() => reject(new Error('thread hiccup')), 20 + Math.random() * odds)), {
  flavour: threading,
  args: [200],
  name: 'flakyThread',
  ...supervision,
});

const counts = { adopted: 0, executed: 0, executeFailed: 0 };
let stop = false;
async function churn() {
  while (!stop) {
    for (let i = 0; i < 50; i++) {
      runner.adopt(async () => {}, { flavour: asyncio });
      runner.adopt(
        function* () {
          yield* sleep(1);
        },
        { flavour: trio },
      );
      counts.adopted += 2;
    }
    runner.adopt(() => undefined, { flavour: threading });
    counts.adopted++;
    const results = await Promise.allSettled([
      runner.execute(async (x) => x + 1, { flavour: asyncio, args: [1] }),
      runner.execute(
        function* (x) {
          yield* sleep(1);
          return x + 1;
        },
        { flavour: trio, args: [1] },
      ),
      runner.execute((x) => x + 1, { flavour: threading, args: [1] }),
      runner.execute(
        async () => {
          throw new Error('expected');
        },
        { flavour: asyncio },
      ),
    ]);
    counts.executed += results.length;
    counts.executeFailed += results.filter((r) => r.status === 'rejected').length;
    await new Promise((r) => setImmediate(r));
  }
}
const churning = churn();

const samples = [];
const sample = () => {
  globalThis.gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  const handles = process.getActiveResourcesInfo().length;
  const live = runner.tree().flavours.reduce((n, f) => n + f.payloads.length, 0);
  samples.push({
    t: Math.round((Date.now() - begin) / 1000),
    heapMB: +(heapUsed / 2 ** 20).toFixed(1),
    rssMB: Math.round(rss / 2 ** 20),
    handles,
    live,
    restarts,
    ...counts,
  });
  console.log(JSON.stringify(samples.at(-1)));
};
const begin = Date.now();
sample();
while (Date.now() - begin < duration) {
  await new Promise((r) => setTimeout(r, every));
  sample();
}
stop = true;
await churning;
await runner.shutdown();
const outcome = await accepting.then(
  () => 'resolved',
  (e) => `rejected: ${e.message}`,
);
// Growth: the second half's mean against the first half's (after a warm-up sample).
const half = (key) => {
  const warm = samples.slice(1);
  const mid = Math.floor(warm.length / 2);
  const mean = (xs) => xs.reduce((a, s) => a + s[key], 0) / Math.max(1, xs.length);
  return { first: +mean(warm.slice(0, mid)).toFixed(1), second: +mean(warm.slice(mid)).toFixed(1) };
};
console.log(
  JSON.stringify({
    minutes: Number(values.minutes),
    accept: outcome,
    ...counts,
    restarts,
    otherLogs: logged,
    heapMB: half('heapMB'),
    rssMB: half('rssMB'),
    handles: half('handles'),
    left: process.getActiveResourcesInfo().filter((t) => /Worker|MessagePort|Timeout/.test(t)),
  }),
);
