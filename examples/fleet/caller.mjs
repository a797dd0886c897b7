// The caller of the fleet demo: keeps two renders in flight on the queue 'renders' and prints
// where each finished. Run with the monitor: its page shows the queue's counts.
import { asyncio } from '@cobald/flavour-asyncio';
import { bullmq } from '@cobald/flavour-bullmq';
import { currentSignal } from '@cobald/kernel';

export default function configure(runtime) {
  runtime.configure({ flavours: { bullmq: { connection: { path: process.env.REDIS_PATH }, callerLease: 5000 } } });
  let next = 0;
  const lane = async () => {
    const signal = currentSignal();
    while (!signal.aborted) {
      const n = ++next;
      const started = Date.now();
      const { worker } = await runtime.execute({ queue: 'renders', task: 'render' }, { flavour: bullmq, args: [n] });
      console.log(`caller: render #${n} finished by worker ${worker} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  };
  runtime.adopt(lane, { flavour: asyncio, name: 'lane-1' });
  runtime.adopt(lane, { flavour: asyncio, name: 'lane-2' });
}
