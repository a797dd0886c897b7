export { describeConformance } from './describe-conformance.js';
export { defaultService } from './default-service.js';
export { functionPayloads } from './function-payloads.js';
export type {
  ConformanceOptions,
  ConformancePayloads,
  PayloadRun,
  ServiceBehaviour,
  ServiceSpec,
  SectionName,
  Describe,
  It,
} from './options.js';
