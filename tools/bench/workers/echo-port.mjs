// A hand-rolled MessageChannel echo worker: takes an array of [id, value] pairs, answers with
// one array of [id, result] pairs. The reference for what pipelining over a port can do.
import { parentPort } from 'node:worker_threads';

const fn = (x) => x;
parentPort.on('message', (batch) => {
  const replies = new Array(batch.length);
  for (let i = 0; i < batch.length; i++) replies[i] = [batch[i][0], fn(batch[i][1])];
  parentPort.postMessage(replies);
});
