/**
 * `import '@cobald/flavour-asyncio/register'`: register the asyncio flavour, so that
 * `{ flavour: 'asyncio' }` finds it, without importing anything by name.
 */
import './asyncio.js';
