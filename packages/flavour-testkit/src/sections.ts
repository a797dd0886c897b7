/** Every part of the contract, in the order the kit runs them. Adding a part is adding a line. */
import type { SectionName } from './options.js';
import type { Section } from './section.js';
import { execute } from './sections/execute.js';
import { adopt } from './sections/adopt.js';
import { services } from './sections/services.js';
import { restarts } from './sections/restarts.js';
import { shutdown } from './sections/shutdown.js';
import { instrumentation } from './sections/instrumentation.js';
import { registration } from './sections/registration.js';
import { supervision } from './sections/supervision.js';

export const sections: Readonly<Record<SectionName, Section>> = {
  execute,
  adopt,
  services,
  restarts,
  shutdown,
  instrumentation,
  registration,
  supervision,
};

export const sectionNames = Object.keys(sections) as SectionName[];
