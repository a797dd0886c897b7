// A worker daemon of the fleet demo (`npm run demo:fleet`): serves the queue 'renders' with a
// task that takes two seconds and says who ran it. A short lockDuration lets a killed worker's
// job move to the other worker within seconds.
import { currentSignal } from '@cobald/kernel';
import { asyncio } from '@cobald/flavour-asyncio';
import { serveQueue } from '@cobald/flavour-bullmq';
import { setTimeout as sleep } from 'node:timers/promises';

export default function configure(runtime) {
  runtime.adopt(
    serveQueue({
      queue: 'renders',
      connection: { path: process.env.REDIS_PATH },
      lockDuration: 3000,
      stalledInterval: 1000,
      flavour: asyncio,
      tasks: {
        render: async (n) => {
          console.log(`worker ${process.pid}: render #${n} started`);
          await sleep(2000, undefined, { signal: currentSignal() });
          return { n, worker: process.pid };
        },
      },
    }),
  );
}
