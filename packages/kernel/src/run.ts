/**
 * Where a run begins: `launch()` puts an adopted payload (or service, or supervisor) under the
 * root supervisor, and `executeOn()` runs an execute as a child of the payload that called it,
 * or of the root, and hands its outcome to its caller. What happens after (restarts, stops,
 * escaped errors, abandonment) is the engine's (supervisor.ts).
 */
import { RunnerStopping, isCancellation } from './errors.js';
import { cancelled, type Flavour } from './flavour.js';
import { endTrace, takeTrace } from './instrumentation.js';
import { PayloadNode, currentPayloadNode } from './node.js';
import { loadedFlavour, type PayloadRequest } from './payload-request.js';
import type { Session } from './session.js';
import { endExecutes, lateFailure, runEnded, runSupervisor, stoppedBy } from './supervisor.js';
import { stopBound, supervisorFlavour } from './supervisor-spec.js';

const ignore = (): void => {};

/** Put an adopted payload, a service or a supervisor under the root supervisor and start it. */
export function launch(session: Session, item: PayloadRequest): void {
  const { flavour, tree, payload, args } = item;
  const flavourName = tree ? supervisorFlavour : typeof flavour === 'string' ? flavour : flavour.name;
  const shutdownTimeout = tree ? (item.shutdownTimeout ?? stopBound(tree, session.gracePeriod)) : item.shutdownTimeout;
  const node = new PayloadNode(item.id, item.name, flavourName, 'adopt', undefined, item.service !== undefined, shutdownTimeout);
  node.policy = item.policy;
  if (tree) node.start = () => runSupervisor(session, tree, node);
  else if (typeof flavour !== 'string') node.start = () => session.start(node, flavour, payload, args);
  // A flavour given by name is loaded (and the payload checked, or the service bound) on the first run.
  else node.start = () => loadedFlavour(item).then((found) => session.start(node, found, item.payload, args));
  session.live.add(node);
  session.root.adopt(node);
}

/**
 * Run an execute and settle with its outcome: its value, its error, or a cancellation when the
 * runtime stopped it. Called inside a payload, it is that payload's child.
 */
export function executeOn(session: Session, flavour: Flavour, item: PayloadRequest): Promise<unknown> {
  if (session.stopping) return Promise.reject(new RunnerStopping('execute', item.name));
  const parent = currentPayloadNode();
  const node = new PayloadNode(item.id, item.name, flavour.name, 'execute', parent, false, undefined);
  if (parent) {
    // A payload that is being stopped starts nothing new.
    if (parent.state !== 'running' || parent.scope?.cancelled) {
      node.state = 'cancelled';
      node.cancelReason = 'caller-stopped';
      session.remember(node);
      return Promise.reject(cancelled(node));
    }
    (parent.executes ??= new Set()).add(node);
  }
  session.live.add(node);
  const run = ++node.runs;
  // The caller's promise is settled by the run, or earlier by the engine: when an error escapes
  // the run, or the run is abandoned. Whatever comes second is ignored.
  const settled = new Promise((resolve, reject) => {
    node.reject = reject;
    const outcome = session.start(node, flavour, item.payload, item.args);
    const trace = takeTrace(node);
    outcome.then(
      (value) => {
        endTrace(trace, false, value);
        if (node.runs !== run) return;
        ended(session, node, node.escaped ? 'failed' : 'done');
        resolve(value);
      },
      (error: unknown) => {
        endTrace(trace, true, error);
        lateFailure(session, node, run, error);
        if (node.runs !== run) return;
        if (node.escaped || !stoppedBy(node, error)) {
          ended(session, node, 'failed');
          reject(error);
          return;
        }
        ended(session, node, 'cancelled');
        reject(isCancellation(error) ? error : cancelled(node, error));
        // A cancellation the runtime made is never a crash, also when nobody awaits this execute.
        settled.catch(ignore);
      },
    );
  });
  node.caller = settled;
  return settled;
}

/** An execute's run ended in `state`: it leaves its parent, and what it started itself ends. */
function ended(session: Session, node: PayloadNode, state: 'done' | 'failed' | 'cancelled'): void {
  node.state = state;
  node.scope = undefined;
  node.reject = undefined;
  node.caller = undefined;
  node.parent?.executes?.delete(node);
  runEnded(node);
  if (node.executes?.size) endExecutes(session, node);
  session.forget(node);
}
