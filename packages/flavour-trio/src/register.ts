/**
 * `import '@cobald/flavour-trio/register'`: register the trio flavour, so that
 * `{ flavour: 'trio' }` finds it, without importing anything by name.
 */
import './trio.js';
