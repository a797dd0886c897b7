// A bare worker for the threading baselines: says it is ready, then idles until terminated
// (its port listener keeps it alive, as an idle payload's thread is kept alive).
import { parentPort, workerData } from 'node:worker_threads';

parentPort.on('message', () => {});
parentPort.postMessage(workerData);
