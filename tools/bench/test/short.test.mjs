// The benchmarks in their short mode, so that they cannot rot: every figure runs and prints its
// row. Nothing here asserts a speed; the machine CI runs on is shared and noisy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = fileURLToPath(new URL('../run.mjs', import.meta.url));
const rows = [
  'asyncio-adopt',
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
  'shutdown-trio',
  'shutdown-threading',
  'asyncio-heap',
  'cycles-heap',
  'cycles-heap-per-payload',
  'monitor-adopt',
  'monitor-execute',
];

test('run.mjs --node <major> runs it under that Node line', { timeout: 120_000 }, async () => {
  // A cache of tools/with-node.sh that holds the running node as its line, so nothing is downloaded.
  const major = process.versions.node.split('.')[0];
  const cache = mkdtempSync(path.join(tmpdir(), 'cobald-bench-node-'));
  const bin = path.join(cache, major, 'node_modules', `node-${process.platform}-${process.arch}`, 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(process.execPath, path.join(bin, 'node'));
  const env = { ...process.env, COBALD_NODE_CACHE: cache };
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [run, '--short', '--only', 'asyncio-latency', '--node', major], { env, maxBuffer: 1 << 20 }).finally(() =>
    rmSync(cache, { recursive: true, force: true }),
  );
  assert.match(stderr, new RegExp(`with-node: node v${major}\\.`), 'with-node.sh says which node runs');
  assert.match(stdout.split('\n')[0], new RegExp(`Node v${major}\\.`));
  assert.ok(stdout.split('\n').some((l) => l.startsWith('| asyncio-latency ')), stdout);
});

test('run.mjs --only refuses an unknown figure, naming the known ones', async () => {
  await assert.rejects(promisify(execFile)(process.execPath, [run, '--only', 'no-such-figure']), (err) => {
    assert.equal(err.code, 64);
    assert.match(err.stderr, /no figure 'no-such-figure'; the figures are: asyncio-adopt, /);
    return true;
  });
});

test('run.mjs --short prints a row with figures for every benchmark', { timeout: 120_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [run, '--short'], { maxBuffer: 1 << 20 });
  const lines = stdout.split('\n');
  assert.match(lines[0], /Node v\d+/, 'the table starts with the machine');
  for (const id of rows) {
    const line = lines.find((l) => l.startsWith(`| ${id} `));
    assert.ok(line, `no row '${id}' in:\n${stdout}`);
    const [, , , ours] = line.split('|').map((cell) => cell.trim());
    assert.match(ours, /^-?\d/, `row '${id}' has no figure: ${line}`);
  }
  assert.equal(lines.filter((l) => /^\| [a-z]/.test(l) && !l.startsWith('| id ')).length, rows.length, 'one row per figure');
});
