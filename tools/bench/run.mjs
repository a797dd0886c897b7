#!/usr/bin/env node
/**
 * The benchmarks: every figure of cobald-ts measured side by side with its baseline in the same
 * run, with tinybench (timings) or in a fresh child process with --expose-gc (heap). Prints a
 * table; `--json` prints one JSON object instead; `--short` uses small counts (the CI mode, which
 * checks that every row is printed, not how fast); `--only <id>[,<id>]` runs some figures (e.g.
 * under `node --cpu-prof`); `--node <major>` runs the same under another Node line, through
 * tools/with-node.sh. Run after a build: `npm run bench` builds first. docs/performance.md
 * explains each figure and baseline.
 */
import { spawn } from 'node:child_process';
import { killOwned, spawnOwned } from './figures/support.mjs';
import { cpus, availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { Bench } from 'tinybench';
import { figures, childFigures } from './figures/index.mjs';

const argv = process.argv.slice(2);
const valueOf = (flag) => {
  const index = argv.indexOf(flag);
  if (index < 0) return undefined;
  const value = argv[index + 1];
  if (value === undefined || value.startsWith('--')) usage(`${flag} needs a value`);
  return value;
};
const short = argv.includes('--short');
const json = argv.includes('--json');
const childName = valueOf('--child');
const nodeMajor = valueOf('--node');
const onlyList = valueOf('--only');
const only = onlyList === undefined ? undefined : new Set(onlyList.split(','));
const ids = new Set(figures.map((figure) => figure.id));
for (const id of only ?? []) if (!ids.has(id)) usage(`no figure '${id}'; the figures are: ${[...ids].join(', ')}`);

function usage(problem) {
  console.error(`bench: ${problem}\nusage: node tools/bench/run.mjs [--short] [--json] [--only <id>,<id>] [--node <major>]`);
  process.exit(64);
}

if (nodeMajor !== undefined) {
  // The same figures under another Node line: this script again, through tools/with-node.sh.
  const rest = argv.filter((arg, i) => !(arg === '--node' || argv[i - 1] === '--node'));
  const withNode = fileURLToPath(new URL('../with-node.sh', import.meta.url));
  const proc = spawn(withNode, [nodeMajor, 'node', fileURLToPath(import.meta.url), ...rest], { stdio: 'inherit' });
  proc.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else if (childName !== undefined) {
  // A heap figure in its own process: print one JSON line and exit.
  const result = await childFigures[childName](short);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  // However the bench ends, the processes it started end with it.
  process.on('exit', killOwned);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])
    process.on(signal, () => process.exit(code));
  await measureAll();
}

/**
 * Run `ours` and `baseline` with tinybench; the median milliseconds of one iteration of each.
 * With `alternate`, the two take turns instead (ours, baseline, ours, …), so that a change of the
 * machine's load while they run hits both alike; both tasks' `beforeAll` hooks then run first,
 * and `beforeEach`/`afterEach` around each of their iterations, outside the time measured.
 */
async function pair(ours, baseline, { iterations = 10, warmup = 2, hooks = {}, alternate = false } = {}) {
  if (alternate && baseline) return alternating({ ours, baseline }, { iterations, warmup, hooks });
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

async function alternating(tasks, { iterations, warmup, hooks }) {
  const names = Object.keys(tasks);
  const times = Object.fromEntries(names.map((name) => [name, []]));
  for (const name of names) await hooks[name]?.beforeAll?.();
  for (let i = 0; i < warmup + iterations; i++) {
    for (const name of names) {
      await hooks[name]?.beforeEach?.();
      const started = performance.now();
      await tasks[name]();
      const ms = performance.now() - started;
      await hooks[name]?.afterEach?.();
      if (i >= warmup) times[name].push(ms);
    }
  }
  for (const name of names) await hooks[name]?.afterAll?.();
  const median = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
  return { ours: median(times.ours), baseline: median(times.baseline) };
}

/** Run a heap figure in a fresh process with --expose-gc. */
function child(name) {
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), '--child', name, ...(short ? ['--short'] : [])];
    const proc = spawnOwned(process.execPath, args, { stdout: 'pipe' });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`heap figure ${name} exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

async function measureAll() {
  const context = { short, pair, child, immediate, sleep };
  const rows = [];
  for (const figure of figures) {
    if (only && !only.has(figure.id)) continue;
    if (!json) process.stderr.write(`  ${figure.id} ...\n`);
    const result = await withinLimit(figure, figure.measure(context));
    for (const row of Array.isArray(result) ? result : [result]) {
      const { ours, baseline } = row;
      // ratio: how many times better ours is (or worse, below 1) for "higher is better";
      // for "lower is better" figures it is ours / baseline, compared with a ceiling.
      const ratio = baseline === undefined || baseline === 0 ? undefined : ours / baseline;
      const target = row.target;
      const met =
        target === undefined || ratio === undefined ? undefined : target.op === '>=' ? ratio >= target.ratio : ratio <= target.ratio;
      rows.push({ id: row.id ?? figure.id, title: row.title, unit: row.unit, ours, baseline, ratio, target, met, note: row.note });
    }
    await sleep(50);
  }

  const machine = {
    nproc: availableParallelism(),
    cpu: cpuModel(),
    node: process.version,
    flags: process.execArgv,
    loadavg: readLoadavg(),
    command: `node ${process.execArgv.map((flag) => `${flag} `).join('')}tools/bench/run.mjs ${argv.join(' ')}`.trim(),
    short,
  };

  if (json) {
    process.stdout.write(`${JSON.stringify({ machine, rows }, null, 2)}\n`);
  } else {
    process.stdout.write(formatTable(rows, machine));
  }
}

/**
 * A figure that has not finished after `limit` seconds hangs: say which, and exit (70) rather than
 * wait forever. The limits are many times what each takes on a busy machine.
 */
function withinLimit(figure, measuring) {
  const limit = short ? 180 : 1800;
  let timer;
  const expired = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`figure '${figure.id}' did not finish within ${limit} s`)), limit * 1000);
  });
  return Promise.race([measuring, expired])
    .catch((error) => {
      console.error(`bench: ${error.stack ?? error}`);
      process.exit(70);
    })
    .finally(() => clearTimeout(timer));
}

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {}
  return cpus()[0]?.model ?? 'unknown';
}

/** The load averages at the end of the run (1, 5, 15 minutes): how busy the machine was meanwhile. */
function readLoadavg() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return undefined;
  }
}

function fmt(value, unit) {
  if (value === undefined) return '—';
  if (unit === 'ms') return `${value < 10 ? value.toFixed(2) : value.toFixed(0)} ms`;
  if (unit === 'µs') return `${value.toFixed(1)} µs`;
  if (unit === 'B') return `${value.toFixed(0)} B`;
  if (unit === '/s')
    return value >= 1e6 ? `${(value / 1e6).toFixed(2)}M/s` : value >= 1e3 ? `${(value / 1e3).toFixed(1)}k/s` : `${value.toFixed(0)}/s`;
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
  const flags = machine.flags.length ? ` ${machine.flags.join(' ')}` : '';
  const load = machine.loadavg ? `, load average ${machine.loadavg.join(' ')}` : '';
  return [
    `${machine.nproc} × ${machine.cpu}, Node ${machine.node}${flags}${machine.short ? ', --short' : ''}${load}`,
    line(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '',
  ].join('\n');
}
