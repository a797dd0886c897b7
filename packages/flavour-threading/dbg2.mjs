import { silentLogger } from '@cobald/kernel';
import { threading } from '@cobald/flavour-threading';
for (const limits of [{ maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 }, { maxOldGenerationSizeMb: 2 }, {stackSizeMb: 0.05}]) {
const runner = threading.createRunner({ logger: silentLogger, gracePeriod: 1000, options: { resourceLimits: limits } });
const t = Date.now();
console.log(JSON.stringify(limits), await runner.run(() => 1, [], { id: 1, name: 'x', flavour: 'threading', kind: 'execute' }).catch(e => [e.message, e.cause?.code]), Date.now() - t);
await runner.close();
}
