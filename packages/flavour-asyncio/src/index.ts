export { asyncio, type AsyncioTypes } from './asyncio.js';
