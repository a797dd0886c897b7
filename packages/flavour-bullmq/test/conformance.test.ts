/**
 * The kernel's flavour contract, run by the conformance kit against the bullmq flavour: each
 * kit payload is a task of a worker daemon of its own (fixtures/tasks.mjs), reached through a
 * real redis-server. A service of this flavour returns its `{ queue, task, args }` from `run()`.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { installTimeout } from '@cobald/test-support';
import { service } from '@cobald/kernel';
import { describeConformance } from '@cobald/flavour-testkit';
import { bullmq } from '@cobald/flavour-bullmq';
import { killWorkers, marksIn, startRedis, startWorker, type RedisServer } from './support.js';

const queue = 'conformance';
let redis: RedisServer;
// Filled in once redis-server runs; the kit reads it when each check's runner starts.
const connection = { path: '' };

beforeAll(async () => {
  redis = await startRedis();
  connection.path = redis.path;
  await startWorker(redis, marksIn(redis), { queue, concurrency: 8 });
}, installTimeout + 60_000);

afterAll(async () => {
  await killWorkers();
  await redis?.stop();
});

const task = (name: string, ...args: unknown[]) => ({ payload: { queue, task: name }, args });

describeConformance({
  describe,
  it,
  flavour: bullmq,
  register: () => import('@cobald/flavour-bullmq/register'),
  flavourOptions: { connection, callerLease: 5_000 },
  invalidPayloads: [null, 42, 'not a payload', { queue: 'a:b', task: 'x' }, { queue: 'q' }],
  service: ({ name, flavour, shutdownTimeout, run }) => {
    const decorate = service({ flavour, name, ...(shutdownTimeout === undefined ? {} : { shutdownTimeout }) });
    const Service = decorate(
      class RemoteService {
        run() {
          return { ...run.payload, args: run.args ?? [] };
        }
      },
    );
    return new Service();
  },
  timeout: 30_000,
  payloads: {
    returns: (value) => task('returns', value),
    returnsAfter: (ms, value) => task('returnsAfter', ms, value),
    completes: () => task('completes'),
    throws: (message) => task('throws', message),
    failsTimes: (failures, counterFile) => task('failsTimes', failures, counterFile),
    waitsForCancel: (cleanupMs, readyFile) => task('waitsForCancel', cleanupMs, readyFile),
    ignoresCancel: (readyFile) => task('ignoresCancel', readyFile),
  },
});
