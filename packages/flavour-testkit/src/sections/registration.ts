/**
 * Registration by name: importing the flavour registers it, `{ flavour: 'name' }` finds it,
 * and its `kernel` range admits this kernel.
 */
import assert from 'node:assert/strict';
import { isFlavour, kernelVersion, registeredFlavour, registeredFlavours, resolveFlavour } from '@cobald/kernel';
import type { Section } from '../section.js';

export const registration: Section = {
  title: 'registration by name',
  define({ options, check }) {
    const { flavour, payloads } = options;

    check('importing the flavour registered it under its name', async () => {
      assert.ok(isFlavour(flavour));
      assert.ok(
        registeredFlavours().includes(flavour.name),
        `'${flavour.name}' is not registered: call registerFlavour() in the module that defines it`,
      );
      assert.equal(registeredFlavour(flavour.name), flavour);
      assert.equal(resolveFlavour(flavour.name), flavour);
    });

    check("its 'version' is a version and its 'kernel' range admits this kernel", async () => {
      assert.match(flavour.version, /^\d+\.\d+\.\d+/, `'version' ${flavour.version} is not a semver version: read it from package.json`);
      // resolveFlavour() refuses a flavour whose range does not admit this kernel.
      assert.doesNotThrow(() => resolveFlavour(flavour), `kernel ${kernelVersion} is outside the flavour's range ${flavour.kernel}`);
    });

    if (options.register) {
      const register = options.register;
      check('its side-effect entry registers the same flavour', async () => {
        await register();
        assert.equal(registeredFlavour(flavour.name), flavour, 'the entry registered another copy of the flavour');
      });
    }

    check('adopt() and execute() find it by name', async (c) => {
      const done = payloads.completes();
      c.runner.adopt(done.payload as never, { flavour: flavour.name, args: done.args ?? [], name: c.name('adopted') } as never);
      c.accept();
      const run = payloads.returns('by name');
      const result = await c.within(
        c.runner.execute(run.payload as never, { flavour: flavour.name, args: run.args ?? [], name: c.name('executed') } as never),
        'execute() by name to resolve',
      );
      assert.deepEqual(options.resultOf(result), 'by name');
      await c.until(() => c.ended('adopted') !== undefined, 'the adopted payload to end');
      assert.equal(c.ended('adopted')?.state, 'done');
      assert.ok(c.events.every((event) => event.flavour === flavour.name));
    });
  },
};
