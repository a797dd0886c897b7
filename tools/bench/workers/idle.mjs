// A bare worker for the threading baselines: says it is ready, then idles (or answers once).
import { parentPort, workerData } from 'node:worker_threads';

parentPort.postMessage(workerData);
