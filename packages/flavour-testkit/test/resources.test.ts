/**
 * The leak check counts what the check's own work left open, not what else runs in the process
 * meanwhile: jest's status line, for one, sets a new timer every second from a timer of its own.
 */
import { describe, expect, it } from '@jest/globals';
import { setTimeout as pause } from 'node:timers/promises';
import { ResourceWatch } from '../src/resources.js';

describe('ResourceWatch', () => {
  it('does not count the timers that something else in the process sets while the check runs', async () => {
    // A ticker started before the watch, re-arming itself as jest's status line does.
    let outside: NodeJS.Timeout | undefined;
    let ticking = true;
    const tick = (): void => {
      if (ticking) outside = setTimeout(tick, 5);
    };
    tick();
    const watch = new ResourceWatch();
    try {
      await pause(30);
      expect(await watch.left()).toEqual([]);
    } finally {
      ticking = false;
      clearTimeout(outside);
      watch.stop();
    }
  });

  it('counts a timer that the check started, also one started from a callback of its own', async () => {
    const watch = new ResourceWatch();
    const timers: NodeJS.Timeout[] = [];
    try {
      timers.push(setInterval(() => {}, 60_000));
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          timers.push(setInterval(() => {}, 60_000));
          resolve();
        }, 1),
      );
      expect(await watch.left()).toEqual(['2 × Timeout']);
      timers.forEach(clearInterval);
      await pause(5);
      expect(await watch.left()).toEqual([]);
    } finally {
      timers.forEach(clearInterval);
      watch.stop();
    }
  });
});
