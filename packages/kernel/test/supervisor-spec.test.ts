import { describe, expect, it } from '@jest/globals';
import { isSupervisorSpec, supervisor, type SupervisorOptions } from '@cobald/kernel';
import { inlineFlavour } from './support/inline-flavour.js';
import { testRunner } from './support/runner.js';

const inline = inlineFlavour({ name: 'spec-inline' });
const work = () => undefined;

describe('supervisor() checks its spec', () => {
  it('makes a frozen spec with every default', () => {
    const spec = supervisor({ name: 'ingest', children: [{ payload: work, flavour: inline }] });
    expect(isSupervisorSpec(spec)).toBe(true);
    expect(Object.isFrozen(spec)).toBe(true);
    expect(spec).toMatchObject({
      name: 'ingest',
      strategy: 'one-for-one',
      autoShutdown: 'never',
      intensity: { restarts: 3, within: 5000 },
      children: [{ name: 'work', restart: 'never', significant: false, args: [] }],
    });
  });

  const bad: [string, unknown, RegExp][] = [
    ['no object', undefined, /supervisor\(\) takes an object/],
    [
      'an unknown strategy',
      { name: 's', strategy: 'one-for-some', children: [] },
      /supervisor 's': 'strategy' must be one of 'one-for-one', 'one-for-all', 'rest-for-one', got 'one-for-some'/,
    ],
    ['an unknown autoShutdown', { name: 's', autoShutdown: 'any', children: [] }, /supervisor 's': 'autoShutdown' must be one of/],
    [
      'a bad intensity',
      { name: 's', intensity: { restarts: -1, within: 10 }, children: [] },
      /supervisor 's': 'intensity.restarts' must be a whole number/,
    ],
    ['an unknown option', { name: 's', stratgy: 'one-for-all', children: [] }, /supervisor 's': unknown option 'stratgy'/],
    ['no children', { name: 's' }, /supervisor 's': 'children' must be an array/],
    ['an empty name', { name: '', children: [] }, /'name' must be a non-empty string/],
    ['a child that is no object', { name: 's', children: [work] }, /supervisor 's': children\[0\] must be a child spec/],
    [
      'a child without payload',
      { name: 's', children: [{ name: 'c', flavour: inline }] },
      /supervisor 's': children\[0\]: 'payload' is required/,
    ],
    [
      'a child without flavour',
      { name: 's', children: [{ name: 'c', payload: work }] },
      /supervisor 's': children\[0\] \('c'\): 'flavour' is required/,
    ],
    [
      'a child with a bad flavour',
      { name: 's', children: [{ payload: work, flavour: 42 }] },
      /supervisor 's': children\[0\]: 'flavour' must be a flavour object/,
    ],
    [
      'a payload its flavour cannot run',
      { name: 's', children: [{ name: 'c', payload: 'text', flavour: inline }] },
      /supervisor 's': children\[0\] \('c'\): 'payload': an spec-inline payload is a function/,
    ],
    [
      'duplicate child names',
      {
        name: 's',
        children: [
          { name: 'c', payload: work, flavour: inline },
          { name: 'c', payload: work, flavour: inline },
        ],
      },
      /supervisor 's': children\[1\] has the 'name' 'c' of an earlier child/,
    ],
    [
      'duplicate default names',
      {
        name: 's',
        children: [
          { payload: work, flavour: inline },
          { payload: work, flavour: inline },
        ],
      },
      /children\[1\] has the 'name' 'work'/,
    ],
    [
      'a bad restart',
      { name: 's', children: [{ payload: work, flavour: inline, restart: 'sometimes' }] },
      /children\[0\]: 'restart' must be one of/,
    ],
    [
      'a bad backoff',
      { name: 's', children: [{ payload: work, flavour: inline, restart: 'always', backoff: { factor: 0.5 } }] },
      /children\[0\]: 'backoff.factor' must be a number >= 1/,
    ],
    [
      'a bad shutdownTimeout',
      { name: 's', children: [{ payload: work, flavour: inline, shutdownTimeout: -1 }] },
      /children\[0\]: 'shutdownTimeout' must be/,
    ],
    ['a bad args', { name: 's', children: [{ payload: work, flavour: inline, args: 1 }] }, /children\[0\]: 'args' must be an array/],
    [
      'a significant child that is always restarted',
      { name: 's', children: [{ payload: work, flavour: inline, restart: 'always', significant: true }] },
      /'significant' needs a child that can end/,
    ],
    [
      'a non-boolean significant',
      { name: 's', children: [{ payload: work, flavour: inline, significant: 'yes' }] },
      /'significant' must be a boolean/,
    ],
    [
      'an unknown child field',
      { name: 's', children: [{ payload: work, flavour: inline, restrat: 'always' }] },
      /children\[0\]: unknown field 'restrat'/,
    ],
    [
      'a nested supervisor with a flavour',
      { name: 's', children: [{ payload: supervisor({ children: [] }), flavour: inline }] },
      /a nested supervisor takes no 'flavour'/,
    ],
  ];
  it.each(bad)('refuses %s with a TypeError naming the field', (_, options, message) => {
    expect(() => supervisor(options as SupervisorOptions)).toThrow(TypeError);
    expect(() => supervisor(options as SupervisorOptions)).toThrow(message);
  });

  it('takes flavours by registered name, and loads them when the supervisor starts', () => {
    const spec = supervisor({ children: [{ name: 'later', payload: work, flavour: 'not-loaded-yet' }] });
    expect(spec.children[0]).toMatchObject({ name: 'later', flavour: 'not-loaded-yet' });
  });

  it('is adopted without a flavour and refused by execute()', async () => {
    const { runner } = testRunner();
    const spec = supervisor({ name: 'tree', children: [{ payload: work, flavour: inline }] });
    expect(() => runner.adopt(spec, { flavour: inline } as never)).toThrow(/supervisor 'tree' is adopted without a 'flavour'/);
    expect(() => runner.adopt(spec, { restart: 'sometimes' as never })).toThrow(/'restart' must be one of/);
    const accepting = runner.accept();
    await expect(runner.execute(spec as never, { flavour: inline })).rejects.toThrow(/a supervisor is adopted, not executed/);
    await runner.shutdown();
    await accepting;
  });
});
