#!/usr/bin/env node
/**
 * The `cobald` executable. It holds SIGINT and SIGTERM before anything else loads (see
 * early-signals.ts), runs `main()`, and exits with its code even if payloads that were abandoned
 * after the grace period still hold the event loop.
 */
import { holdStopSignals } from './early-signals.js';

holdStopSignals();
const { main } = await import('./main.js');
const code = await main(process.argv.slice(2));
// Let stdout and stderr drain, then exit.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))));
process.exit(code);
