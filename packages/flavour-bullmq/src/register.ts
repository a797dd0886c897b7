/**
 * `import '@cobald/flavour-bullmq/register'`: register the bullmq flavour, so that
 * `{ flavour: 'bullmq' }` finds it, without importing anything by name.
 */
import './bullmq.js';
