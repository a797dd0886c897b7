import { ServiceRunner, silentLogger } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
function tracked(shared, ms) {
  const cells = new Int32Array(shared);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  return require('node:worker_threads').threadId;
}
const runner = new ServiceRunner({ handleSignals: false, logger: { ...silentLogger, debug: (o, m) => console.log('debug', m), warn: (o,m)=>console.log('warn', m) }, flavours: { threading: { maxWorkers: 2 } } });
const accepting = runner.accept();
const shared = new SharedArrayBuffer(8);
const ids = await Promise.all(Array.from({ length: 60 }, () => runner.execute(tracked, { flavour: threading, args: [shared, 3] })));
console.log(new Set(ids));
await runner.shutdown(); await accepting;
