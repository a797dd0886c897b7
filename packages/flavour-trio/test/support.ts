/** Helpers shared by the trio tests. */
export { quietRunner, deferred, until, activeTimers as timers } from '@cobald/test-support';
