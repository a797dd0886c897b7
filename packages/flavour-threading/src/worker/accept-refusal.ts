/**
 * Why `accept()` refuses inside a worker thread of the threading flavour. The worker sets it on
 * `globalThis` under {@link acceptRefusalKey}, a registered symbol the kernel's `accept()` looks
 * for: a module imported in a worker that accepts at its top level (a service class and the
 * daemon that runs it in one file, `module: import.meta.url`) would otherwise start its
 * services again in a worker of its own, which would start them again, thread after thread.
 */

/** The registered symbol under which a thread tells the kernel that `accept()` must refuse there. */
export const acceptRefusalKey = Symbol.for('@cobald/kernel.acceptRefusal');

/** The message of the error that `accept()` rejects with inside a threading worker thread. */
export const acceptRefusal =
  'accept() was called inside a worker thread of the threading flavour: the module of a threading ' +
  'payload or service is imported again in the worker, and there it must not start a runtime of its ' +
  'own (that one would start the services in further threads, thread after thread). Call accept() ' +
  "only in the main thread: put the daemon's start in its own module, or guard it with " +
  "`if (isMainThread) await runtime.accept()` (isMainThread from 'node:worker_threads')";
