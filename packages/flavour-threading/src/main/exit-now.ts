/**
 * Ending the process with an exit code without waiting for its worker threads. Node.js joins
 * every worker thread when the process exits (`process.exit()` included), so a thread blocked in
 * a synchronous call would keep a stopped daemon from ever exiting; a signal to itself would
 * lose the daemon's exit code.
 *
 * WASI's `proc_exit`, with `returnOnExit: false`, ends the process at once with the given code
 * (the C library's `exit()`): no join of worker threads. A tiny WebAssembly module imports it
 * and exports it as `exit(code)`. Measured on Node.js 20.20, 22.23, 24.22 and 26.12: the code is
 * kept and the process ends in milliseconds while a thread is blocked (test/stuck-exit.test.ts).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The little of the WebAssembly API used here (the compiler's lib for Node.js has no WebAssembly types). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}

/** `(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32))) (func (export "exit") (param i32) local.get 0 call $exit) …)` */
function exitModule(): Uint8Array {
  const name = (text: string): number[] => [text.length, ...Buffer.from(text)];
  const section = (id: number, bytes: number[]): number[] => [id, bytes.length, ...bytes];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // types: (i32) -> (), () -> ()
    ...section(1, [2, 0x60, 1, 0x7f, 0, 0x60, 0, 0]),
    ...section(2, [1, ...name('wasi_snapshot_preview1'), ...name('proc_exit'), 0, 0]),
    // functions: exit (i32), _initialize ()
    ...section(3, [2, 0, 1]),
    ...section(5, [1, 0, 1]),
    ...section(7, [3, ...name('exit'), 0, 1, ...name('_initialize'), 0, 2, ...name('memory'), 2, 0]),
    ...section(10, [2, 6, 0, 0x20, 0, 0x10, 0, 0x0b, 2, 0, 0x0b]),
  ]);
}

/**
 * End the process now with `code`, not waiting for worker threads. Only for the end of
 * `process.on('exit')`: nothing after it runs.
 *
 * @example
 * process.on('exit', (code) => exitNow(code));
 */
export function exitNow(code: number): never {
  // Loaded only here: node:wasi warns that it is experimental when it is loaded (on the next
  // tick, which never comes).
  const { WASI } = require('node:wasi') as typeof import('node:wasi');
  const wasi = new WASI({ version: 'preview1', returnOnExit: false });
  const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
  const instance = new wasm.Instance(new wasm.Module(exitModule()), wasi.getImportObject());
  wasi.initialize(instance as Parameters<typeof wasi.initialize>[0]);
  (instance.exports as { exit(code: number): void }).exit(code);
  // proc_exit does not return; should it ever, the signal still ends the process.
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}
