export { ServiceRunner, type ServiceRunnerOptions } from './service-runner.js';
export type { RunOptions, AdoptOptions, SupervisorAdoptOptions } from './run-options.js';
export {
  supervisor,
  isSupervisorSpec,
  type SupervisorSpec,
  type SupervisorOptions,
  type ChildSpec,
  type Strategy,
  type AutoShutdown,
} from './supervisor-spec.js';
export type { SupervisionOptions, RestartMode } from './supervision-options.js';
export type { PayloadTrace, RestartEvent, RuntimeEvent, ParentInfo } from './instrumentation.js';
export { runtime } from './runtime.js';
export { kernelVersion } from './version.js';
export { formatTree, type RuntimeTree, type FlavourBranch, type PayloadSnapshot } from './tree.js';
export type { NodeState } from './node.js';
export { service, type ServiceClass } from './service.js';
export { currentSignal, CancelScope } from './cancellation.js';
export {
  defineFlavour,
  createFlavourHost,
  isFlavour,
  cancelled,
  type Flavour,
  type FlavourSpec,
  type FlavourRunner,
  type FlavourHost,
  type RunContext,
  type RunKind,
  type PayloadTypes,
  type ArgsOf,
  type ResultOf,
  type TypesOf,
  type KnownFlavours,
  type ServiceOptions,
} from './flavour.js';
export { registerFlavour, registeredFlavours, registeredFlavour, resolveFlavour, loadFlavour } from './registry.js';
export {
  OrphanedReturn,
  PayloadFailure,
  PayloadCancelled,
  PayloadAbandoned,
  UncaughtFailure,
  RunnerNotAccepting,
  RunnerStopping,
  AlreadyAccepting,
  UnknownFlavour,
  RestartIntensityExceeded,
  ChildFailure,
  IncompatibleFlavour,
  packageOf,
  isCancellation,
  isAbortError,
  type PayloadInfo,
} from './errors.js';
export { warningLogger, silentLogger, type Logger } from './logger.js';
