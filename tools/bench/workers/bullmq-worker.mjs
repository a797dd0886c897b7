// A worker process of the bullmq figure: `raw` serves the queue with a BullMQ Worker that
// returns each job's value; `flavour` with serveQueue() on the process-wide runtime, whose task
// returns it. Both take 8 jobs at once; both stop on SIGTERM, and at once when the bench that
// started them ends, however it ends (their stdin, a pipe from it, reaches its end).
import { Worker } from 'bullmq';
import { runtime, silentLogger } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { serveQueue } from '@cobald/flavour-bullmq';

const [mode, path, queue] = process.argv.slice(2);
const concurrency = 8;
process.stdin
  .on('end', () => process.exit(0))
  .resume()
  .unref();
if (mode === 'raw') {
  const worker = new Worker(queue, async (job) => job.data.value, { connection: { path }, concurrency });
  process.once('SIGTERM', () => {
    // close() waits for the jobs it runs; one that never ends must not keep the process.
    setTimeout(() => process.exit(0), 5_000).unref();
    void worker.close().finally(() => process.exit(0));
  });
} else {
  runtime.configure({ logger: silentLogger });
  runtime.adopt(serveQueue({ queue, connection: { path }, concurrency, flavour: asyncio, tasks: { echo: async (value) => value } }));
  await runtime.accept();
}
