#!/usr/bin/env node
/**
 * The benchmarks of issue #5: every figure of cobald-ts measured side by side with its
 * baseline in the same run, with tinybench (timings) or in a fresh child process with
 * --expose-gc (heap). Prints a table; `--json` prints one JSON object instead; `--short`
 * uses small counts (the CI mode, which checks that every row is printed, not how fast);
 * `--only <id>[,<id>]` runs some figures (e.g. under `node --cpu-prof`). Run after a build:
 * `npm run bench` builds first. docs/performance.md explains each figure and baseline.
 */
import { spawn } from 'node:child_process';
import { cpus, availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { Bench } from 'tinybench';
import { figures, childFigures } from './figures.mjs';

const argv = process.argv.slice(2);
const short = argv.includes('--short');
const json = argv.includes('--json');
const childIndex = argv.indexOf('--child');
const onlyIndex = argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set(argv[onlyIndex + 1].split(',')) : undefined;

if (childIndex >= 0) {
  // A heap figure in its own process: print one JSON line and exit.
  const result = await childFigures[argv[childIndex + 1]](short);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Run `ours` and `baseline` with tinybench; the median milliseconds of one iteration of each. */
async function pair(ours, baseline, { iterations = 10, warmup = 2, hooks = {} } = {}) {
  const bench = new Bench({ iterations, time: 0, warmupIterations: warmup, warmupTime: 0, throws: true });
  // Every task is awaited: tinybench cannot tell a function that returns a promise from a sync one.
  bench.add('ours', async () => ours(), { ...hooks.ours, async: true });
  if (baseline) bench.add('baseline', async () => baseline(), { ...hooks.baseline, async: true });
  await bench.run();
  const [a, b = undefined] = bench.tasks.map((task) => {
    if (task.result.state !== 'completed') throw task.result.error ?? new Error(`${task.name}: ${task.result.state}`);
    return task.result.latency.p50;
  });
  return { ours: a, baseline: b };
}

/** Run a heap figure in a fresh process with --expose-gc. */
function child(name) {
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', fileURLToPath(import.meta.url), '--child', name, ...(short ? ['--short'] : [])];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`heap figure ${name} exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

const context = { short, pair, child, immediate, sleep };
const rows = [];
for (const figure of figures) {
  if (only && !only.has(figure.id)) continue;
  if (!json) process.stderr.write(`  ${figure.id} ...\n`);
  const result = await figure.measure(context);
  for (const row of Array.isArray(result) ? result : [result]) {
    const { ours, baseline } = row;
    // ratio: how many times better ours is (or worse, below 1) for "higher is better";
    // for "lower is better" figures it is ours / baseline, compared with a ceiling.
    const ratio = baseline === undefined || baseline === 0 ? undefined : ours / baseline;
    const target = row.target;
    const met = target === undefined || ratio === undefined ? undefined : target.op === '>=' ? ratio >= target.ratio : ratio <= target.ratio;
    rows.push({ id: row.id ?? figure.id, title: row.title, unit: row.unit, ours, baseline, ratio, target, met, note: row.note });
  }
  await sleep(50);
}

const machine = {
  nproc: availableParallelism(),
  cpu: cpuModel(),
  node: process.version,
  command: `node tools/bench/run.mjs ${argv.join(' ')}`.trim(),
  short,
};

if (json) {
  process.stdout.write(`${JSON.stringify({ machine, rows }, null, 2)}\n`);
} else {
  process.stdout.write(formatTable(rows, machine));
}

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {}
  return cpus()[0]?.model ?? 'unknown';
}

function fmt(value, unit) {
  if (value === undefined) return '—';
  if (unit === 'ms') return `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
  if (unit === 'µs') return `${value.toFixed(1)} µs`;
  if (unit === 'B') return `${value.toFixed(0)} B`;
  if (unit === '/s') return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M/s` : value >= 1e3 ? `${(value / 1e3).toFixed(1)}k/s` : `${value.toFixed(0)}/s`;
  return String(value);
}

function formatTable(rows, machine) {
  const header = ['id', 'figure', 'ours', 'baseline', 'ratio', 'target', 'met'];
  const body = rows.map((r) => [
    r.id,
    r.title,
    fmt(r.ours, r.unit),
    fmt(r.baseline, r.unit),
    r.ratio === undefined ? '—' : `${r.ratio.toFixed(2)}×`,
    r.target ? `${r.target.op === '>=' ? '≥' : '≤'} ${r.target.ratio}×` : (r.note ?? '—'),
    r.met === undefined ? '—' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [
    `${machine.nproc} × ${machine.cpu}, Node ${machine.node}${machine.short ? ', --short' : ''}`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '',
  ].join('\n');
}
