// The benchmarks in their short mode, so that they cannot rot: every figure runs and prints its
// row. Nothing here asserts a speed; the machine CI runs on is shared and noisy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = fileURLToPath(new URL('../run.mjs', import.meta.url));
const rows = [
  'asyncio-adopt',
  'asyncio-execute',
  'asyncio-latency',
  'trio-adopt',
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
];

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
