/**
 * The runnable examples of the user guides: every ```js block of the files below is saved as
 * an ES module inside the repository (so that `@cobald/*` resolve to the built workspace
 * packages, as in an app that installed them) and run with node; the README's tour, written in
 * TypeScript with a decorator, is compiled by TypeScript first. A daemon that is still
 * running a moment after its runner began to accept gets SIGINT, as a person would press Ctrl-C.
 * Each must exit with 0.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { repo } from './support.js';

const documents = [
  'docs/concurrency.md',
  'docs/supervision.md',
  'packages/kernel/README.md',
  'packages/flavour-asyncio/README.md',
  'packages/flavour-trio/README.md',
];

const scratch = path.join(repo, 'tools', '.doc-examples');
mkdirSync(scratch, { recursive: true });
// Preloaded into every example: tells the test when a runner accepts (the runtime's own
// diagnostics channel), so that Ctrl-C comes after start-up however slow the machine is.
const accepting = path.join(scratch, 'report-accepting.mjs');
writeFileSync(
  accepting,
  "import { subscribe } from 'node:diagnostics_channel';\n" +
    "subscribe('cobald:runtime', (event) => { if (event.state === 'running') process.stderr.write('\\u0000accepting\\n'); });\n",
);
const marker = '\u0000accepting\n';
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  interrupted: boolean;
  output: string;
}

function run(file: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', accepting, file], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let interrupted = false;
    let interrupt: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk;
      if (!output.includes(marker)) return;
      output = output.replace(marker, '');
      clearTimeout(interrupt);
      interrupt = setTimeout(() => {
        interrupted = true;
        child.kill('SIGINT');
      }, 4000);
    });
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(interrupt);
      clearTimeout(kill);
      resolve({ code, signal, interrupted, output });
    });
  });
}

for (const document of documents) {
  const blocks = [...readFileSync(path.join(repo, document), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  describe(document, () => {
    it('has runnable examples', () => {
      expect(blocks.length).toBeGreaterThan(0);
    });
    blocks.forEach((source, index) => {
      const firstLine = source.split('\n').find((line) => line.trim() && !line.startsWith('import')) ?? '';
      it(`example ${index + 1} runs and exits with 0 (${firstLine.trim().slice(0, 50)})`, async () => {
        const file = path.join(scratch, `${document.replace(/[/.]/g, '-')}-${index + 1}.mjs`);
        writeFileSync(file, source);
        const outcome = await run(file);
        expect({ code: outcome.code, signal: outcome.signal, output: outcome.code === 0 ? '' : outcome.output }).toEqual({
          code: 0,
          signal: null,
          output: '',
        });
      }, 20_000);
    });
  });
}

describe('README.md', () => {
  it('the tour, compiled from TypeScript as it stands, runs its three flavours and exits with 0', async () => {
    const readme = readFileSync(path.join(repo, 'README.md'), 'utf8');
    const tour = /## A short tour\n+```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    if (!tour) throw new Error("README.md has no '## A short tour' with a ```ts block");
    const { outputText } = ts.transpileModule(tour, {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    });
    const file = path.join(scratch, 'README-md-tour.mjs');
    writeFileSync(file, outputText);
    const outcome = await run(file);
    expect({ code: outcome.code, signal: outcome.signal }).toEqual({ code: 0, signal: null });
    expect(outcome.output.split('\n').filter(Boolean)).toEqual(['9592 primes below 100000', 'watcher halted']);
  }, 20_000);
});
