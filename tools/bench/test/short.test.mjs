// The benchmarks in their short mode, so that they cannot rot: every figure runs and prints its
// row. Nothing here asserts a speed; the machine CI runs on is shared and noisy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = fileURLToPath(new URL('../run.mjs', import.meta.url));
const rows = [
  'asyncio-adopt',
  'asyncio-adopt-reference',
  'asyncio-execute',
  'asyncio-execute-reference',
  'asyncio-latency',
  'trio-adopt',
  'trio-adopt-reference',
  'trio-execute',
  'trio-heap',
  'threading-inflight',
  'threading-inflight-reference',
  'threading-sequential',
  'threading-sequential-reference',
  'threading-latency',
  'threading-adopt',
  'threading-adopt-latency',
  'shutdown-asyncio',
  'asyncio-cancel',
  'shutdown-trio',
  'shutdown-threading',
  'threading-cancel',
  'asyncio-heap',
  'cycles-heap',
  'cycles-heap-per-payload',
  'supervisor-10k-start',
  'supervisor-10k-stop',
  'supervisor-heap',
  'monitor-adopt',
  'monitor-execute',
  'bullmq-execute',
  'bullmq-workers-1',
  'bullmq-workers-2',
  'bullmq-workers-4',
];

test('run.mjs --node <major> runs it under that Node line', { timeout: 120_000 }, async () => {
  // A cache of tools/with-node.sh that holds the running node as its line, so nothing is downloaded.
  const major = process.versions.node.split('.')[0];
  const cache = mkdtempSync(path.join(tmpdir(), 'cobald-bench-node-'));
  const bin = path.join(cache, major, 'node_modules', `node-${process.platform}-${process.arch}`, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(process.execPath, path.join(bin, 'node'));
  const env = { ...process.env, COBALD_NODE_CACHE: cache };
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [run, '--short', '--only', 'asyncio-latency', '--node', major], {
    env,
    maxBuffer: 1 << 20,
  }).finally(() => rmSync(cache, { recursive: true, force: true }));
  assert.match(stderr, new RegExp(`with-node: node v${major}\\.`), 'with-node.sh says which node runs');
  assert.match(stdout.split('\n')[0], new RegExp(`Node v${major}\\.`));
  assert.ok(
    stdout.split('\n').some((l) => l.startsWith('| asyncio-latency ')),
    stdout,
  );
});

test('run.mjs --only refuses an unknown figure, naming the known ones', async () => {
  await assert.rejects(promisify(execFile)(process.execPath, [run, '--only', 'no-such-figure']), (err) => {
    assert.equal(err.code, 64);
    assert.match(err.stderr, /no figure 'no-such-figure'; the figures are: asyncio-adopt, /);
    return true;
  });
});

// 30 to 90 s on an idle 2-core machine; several minutes when it is shared and busy. run.mjs
// gives up on a figure that hangs after 180 s (exit 70, naming it); the timeout here is the
// backstop for a hang outside the figures.
test('run.mjs --short prints a row with figures for every benchmark', { timeout: 660_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [run, '--short'], {
    maxBuffer: 1 << 20,
    timeout: 600_000,
    killSignal: 'SIGTERM',
  }).catch((error) => {
    throw new Error(`run.mjs --short failed (exit ${error.code ?? error.signal}):\n${error.stderr}\n${error.stdout}`, { cause: error });
  });
  const lines = stdout.split('\n');
  assert.match(lines[0], /Node v\d+/, 'the table starts with the machine');
  for (const id of rows) {
    const line = lines.find((l) => l.startsWith(`| ${id} `));
    assert.ok(line, `no row '${id}' in:\n${stdout}`);
    const [, , , ours] = line.split('|').map((cell) => cell.trim());
    assert.match(ours, /^-?\d/, `row '${id}' has no figure: ${line}`);
  }
  const printed = lines.filter((l) => /^\| [a-z]/.test(l) && !l.startsWith('| id ')).map((l) => l.split('|')[1].trim());
  assert.deepEqual(
    printed.filter((id) => !rows.includes(id)),
    [],
    'a row this test does not know: add it to the list above',
  );
});

test('side-by-side.mjs puts the ratios of several runs in one table, one column per Node', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cobald-bench-side-'));
  const result = (node, ratio, met) => ({
    machine: { nproc: 2, cpu: 'a CPU', node, flags: [], loadavg: [1, 2, 3], command: 'node tools/bench/run.mjs --json', short: false },
    rows: [{ id: 'trio-adopt', title: 'trio adopt', unit: '/s', ours: 2, baseline: 1, ratio, target: { op: '>=', ratio: 0.9 }, met }],
  });
  const files = [result('v20.20.2', 1.25, true), result('v24.22.3', 0.5, false)].map((content, i) => {
    const file = path.join(dir, `${i}.json`);
    writeFileSync(file, JSON.stringify(content));
    return file;
  });
  try {
    const script = fileURLToPath(new URL('../side-by-side.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script, ...files]);
    assert.match(stdout, /\| figure \| target \| Node v20\.20\.2 \| Node v24\.22\.3 \|/);
    assert.match(stdout, /\| `trio-adopt`: trio adopt \| ≥ 0\.9× \| 1\.25× \| 0\.50× \(not met\) \|/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
