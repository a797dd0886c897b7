#!/usr/bin/env node
// Fails when the TypeScript modules under a folder import each other in a circle, type-only
// imports and re-exports included: `node tools/import-cycles/check.mjs packages/kernel/src`.
// A module that needs another's types only still depends on it: a circle of those is a
// circle of concepts, which is what this check is for.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(process.argv[2] ?? '.');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) files.push(path);
  }
})(root);

/** The modules of the folder that `file` imports or re-exports from. */
function importsOf(file) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const found = [];
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith('.')) continue;
    const target = resolve(dirname(file), fileName).replace(/\.js$/, '.ts');
    if (files.includes(target)) found.push(target);
  }
  return found;
}

const graph = new Map(files.map((file) => [file, importsOf(file)]));
const cycles = [];
// Depth-first search without recursion; `onPath` holds the modules of the current path.
const done = new Set();
for (const start of files) {
  if (done.has(start)) continue;
  const path = [start];
  const onPath = new Set(path);
  const next = [0];
  while (path.length > 0) {
    const file = path.at(-1);
    const targets = graph.get(file);
    const i = next.at(-1);
    if (i >= targets.length) {
      done.add(file);
      onPath.delete(file);
      path.pop();
      next.pop();
      continue;
    }
    next[next.length - 1]++;
    const target = targets[i];
    if (onPath.has(target)) cycles.push([...path.slice(path.indexOf(target)), target]);
    else if (!done.has(target)) {
      path.push(target);
      onPath.add(target);
      next.push(0);
    }
  }
}

if (cycles.length > 0) {
  console.error(`${cycles.length} import cycle(s) in ${relative(process.cwd(), root) || '.'}:`);
  for (const cycle of cycles) console.error(`  ${cycle.map((f) => relative(root, f)).join(' -> ')}`);
  process.exit(1);
}
console.log(`no import cycles among the ${files.length} modules of ${relative(process.cwd(), root) || '.'}`);
