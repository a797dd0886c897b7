/** `@cobald/flavour-trio`: the trio flavour, whose payloads are Effection operations. Importing it registers the flavour. */
export { trio, type TrioTypes, type TrioPayload } from './trio.js';
