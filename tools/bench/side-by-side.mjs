#!/usr/bin/env node
/**
 * Several `run.mjs --json` results side by side, as one markdown table of ratios (ours against
 * the baseline of the same run), for docs/performance.md:
 *
 *   node tools/bench/run.mjs --json > node20.json
 *   node tools/bench/run.mjs --node 24 --json > node24.json
 *   node tools/bench/side-by-side.mjs node20.json node24.json
 */
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node tools/bench/side-by-side.mjs <result.json>…   (each from run.mjs --json)');
  process.exit(64);
}
const runs = files.map((file) => JSON.parse(readFileSync(file, 'utf8')));

const label = ({ machine }) => `Node ${machine.node}${machine.flags?.length ? ` ${machine.flags.join(' ')}` : ''}`;
const ratio = (row) => (row?.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}×${row.met === false ? ' (not met)' : ''}`);
const target = (row) => (row.target ? `${row.target.op === '>=' ? '≥' : '≤'} ${row.target.ratio}×` : (row.note ?? '—'));

const ids = [...new Set(runs.flatMap((run) => run.rows.map((row) => row.id)))];
const lines = [
  ...runs.map((run) => {
    const { machine } = run;
    const load = machine.loadavg ? `, load average at the end ${machine.loadavg.join(' ')}` : '';
    return `- ${label(run)}: ${machine.nproc} × ${machine.cpu}${load}; \`${machine.command}\``;
  }),
  '',
  `| figure | target | ${runs.map(label).join(' | ')} |`,
  `|---|---|${runs.map(() => '---').join('|')}|`,
  ...ids.map((id) => {
    const rows = runs.map((run) => run.rows.find((row) => row.id === id));
    const first = rows.find(Boolean);
    return `| \`${id}\`: ${first.title} | ${target(first)} | ${rows.map(ratio).join(' | ')} |`;
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
