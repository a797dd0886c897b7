export { testRunner, quietRunner, type Logged } from './runners.js';
export { channelRecorders, type PayloadEvent } from './channels.js';
export { runScript, nodeOfLine, installTimeout, type ScriptResult } from './processes.js';
export { debianProgram, type DebianProgramOptions } from './debian.js';
export { deferred, sleep, until, unexpected, activeTimers } from './async.js';
