/**
 * The entry of the threading flavour's worker threads: it sets the thread up and starts its
 * {@link RunLoop}. The runner loads the built file (dist/worker/entry.js), so everything under
 * worker/ must stay plain Node.js: no test tooling, nothing that needs a loader.
 *
 * Set up here: `accept()` refuses in this thread; the diagnostics channels named in
 * `forwardChannels` are forwarded to the main thread; an uncaught error (a timer or promise of
 * a payload that threw) is reported with the run it came from before the thread dies.
 */
import { subscribe } from 'node:diagnostics_channel';
import { parentPort, workerData } from 'node:worker_threads';
import { Mailbox } from '../shared/mailbox.js';
import type { FromWorker, WorkerStartData } from '../shared/messages.js';
import { toThrown } from '../shared/thrown.js';
import { acceptRefusal, acceptRefusalKey } from './accept-refusal.js';
import { takeBaseline } from './leftovers.js';
import { RunLoop } from './run-loop.js';
import { currentRun } from './run-scope.js';

if (!parentPort) {
  throw new Error("dist/worker/entry.js is the entry of @cobald/flavour-threading's worker threads; it does not run on its own");
}
const { mailbox, port, forwardChannels } = workerData as WorkerStartData;
const post = (message: FromWorker): void => port.postMessage(message);

// A module that calls `accept()` when it is imported (a service and its daemon in one file)
// would start its services again in here, and so on, thread after thread.
(globalThis as Record<symbol, unknown>)[acceptRefusalKey] = acceptRefusal;

// Forward what payloads publish on the channels named in the option `forwardChannels`; a
// message that cannot be cloned to the main thread is not forwarded. Only these channels have
// a subscriber here, so payloads that check `hasSubscribers` publish nothing else.
for (const name of forwardChannels) {
  subscribe(name, (message) => {
    try {
      post({ type: 'diagnostic', channel: name, message });
    } catch {
      // Not cloneable (a function, a handle): dropped.
    }
  });
}

const loop = new RunLoop(new Mailbox(mailbox), port);

let dying = false;
process.on('uncaughtExceptionMonitor', (error) => {
  // A payload that handles uncaught errors itself keeps the thread alive.
  if (process.listenerCount('uncaughtException') > 0 || dying) return;
  dying = true;
  loop.halt();
  post({ type: 'crash', id: currentRun() ?? loop.lastRun, error: toThrown(error) });
});

takeBaseline();
post({ type: 'ready' });
setImmediate(() => loop.pump());
