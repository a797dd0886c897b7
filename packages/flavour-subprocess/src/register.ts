/**
 * `import 'cobald-flavour-subprocess/register'`: register the subprocess flavour, so that
 * `{ flavour: 'subprocess' }` finds it, without importing anything by name.
 */
import './subprocess.js';
