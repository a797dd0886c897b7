/**
 * `import '@cobald/flavour-threading/register'`: register the threading flavour, so that
 * `{ flavour: 'threading' }` finds it, without importing anything by name.
 */
import './threading.js';
