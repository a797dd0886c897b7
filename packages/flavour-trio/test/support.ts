/** Helpers shared by the trio tests. */
export { quietRunner, deferred, activeTimers as timers } from '@cobald/test-support';
