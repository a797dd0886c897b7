export { testRunner, quietRunner, type Logged } from './runners.js';
export { channelRecorders, type PayloadEvent } from './channels.js';
export { runScript, nodeOfLine, type ScriptResult } from './processes.js';
export { deferred, sleep, until, unexpected, activeTimers } from './async.js';
