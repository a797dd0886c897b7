/**
 * Every figure of `npm run bench`, area by area: each measures cobald-ts (ours) and its
 * baseline in the same run. docs/performance.md says what each baseline is and why it is the
 * fair one.
 */
import * as asyncio from './asyncio.mjs';
import * as trio from './trio.mjs';
import * as threading from './threading.mjs';
import * as supervision from './supervision.mjs';
import * as monitor from './monitor.mjs';
import * as bullmq from './bullmq.mjs';

const areas = [asyncio, trio, threading, supervision, monitor, bullmq];

export const figures = areas.flatMap((area) => area.figures);

/** Heap figures, each run in a fresh child process with --expose-gc, by name. */
export const childFigures = Object.assign({}, ...areas.map((area) => area.childFigures ?? {}));
