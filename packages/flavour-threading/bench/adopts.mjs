// Benchmark: 200 short adopted payloads through the threading flavour, against one
// `new Worker` per payload. Run after a build: `node packages/flavour-threading/bench/adopts.mjs`.
import { Worker } from 'node:worker_threads';
import { ServiceRunner, silentLogger } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';

const count = Number(process.argv[2] ?? 200);

async function oneWorkerEach() {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const worker = new Worker('const { parentPort, workerData } = require("node:worker_threads"); parentPort.postMessage(workerData * 2)', { eval: true, workerData: i });
      return new Promise((resolve, reject) => {
        worker.once('message', () => worker.terminate().then(resolve, reject));
        worker.once('error', reject);
      });
    }),
  );
  return performance.now() - started;
}

async function threadingAdopts() {
  const runner = new ServiceRunner({ handleSignals: false, logger: silentLogger });
  const accepting = runner.accept();
  // Warm-up is part of the measurement: the pool starts empty.
  const done = new Int32Array(new SharedArrayBuffer(4));
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    runner.adopt((cells, n) => { void (n * 2); Atomics.add(new Int32Array(cells), 0, 1); Atomics.notify(new Int32Array(cells), 0); }, {
      flavour: threading,
      args: [done.buffer, i],
    });
  }
  while (Atomics.load(done, 0) < count) await Atomics.waitAsync(done, 0, Atomics.load(done, 0), 1000).value;
  const elapsed = performance.now() - started;
  await runner.shutdown();
  await accepting;
  return elapsed;
}

const naive = await oneWorkerEach();
const pooled = await threadingAdopts();
console.log(`${count} short payloads: one new Worker each ${naive.toFixed(0)} ms, threading adopts ${pooled.toFixed(0)} ms, ${(naive / pooled).toFixed(1)}x faster`);
