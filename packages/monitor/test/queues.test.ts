/**
 * The job queues a flavour reports through `cobald:queues:stats`: on /metrics with bounded labels
 * (at most 50 queues), and in /api/tree for the page. The reporter here stands in for a flavour's.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { quietRunner } from '@cobald/test-support';
import { attachMonitor, type QueueQuery } from '@cobald/monitor';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { get, parseMetrics, sampleValue } from './support/http.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Answer every query with `count` queues named q0, q1, … */
function report(count: number): void {
  const answer = (message: unknown): void => {
    for (let i = 0; i < count; i++) {
      (message as QueueQuery).queues.push({ system: 'bullmq', queue: `q${i}`, waiting: i, active: 1, failed: 2, delayed: 0, completed: 5 });
    }
  };
  subscribe('cobald:queues:stats', answer);
  cleanups.push(() => unsubscribe('cobald:queues:stats', answer));
}

describe('the queues', () => {
  it('shows each queue by state on /metrics and in /api/tree', async () => {
    report(2);
    const monitor = await attachMonitor(quietRunner());
    cleanups.push(() => monitor.close());
    const { samples } = parseMetrics((await get(`${monitor.url}metrics`)).body);
    expect(sampleValue(samples, 'cobald_queue_jobs', { system: 'bullmq', queue: 'q1', state: 'waiting' })).toBe(1);
    expect(sampleValue(samples, 'cobald_queue_jobs', { system: 'bullmq', queue: 'q0', state: 'failed' })).toBe(2);
    const tree = JSON.parse((await get(`${monitor.url}api/tree`)).body) as { queues?: { queue: string }[] };
    expect(tree.queues?.map((q) => q.queue)).toEqual(['q0', 'q1']);
  });

  it('exports at most 50 queues, and none when no flavour reports any', async () => {
    const empty = await attachMonitor(quietRunner());
    cleanups.push(() => empty.close());
    expect(parseMetrics((await get(`${empty.url}metrics`)).body).samples.filter((s) => s.name === 'cobald_queue_jobs')).toEqual([]);
    expect(JSON.parse((await get(`${empty.url}api/tree`)).body)).not.toHaveProperty('queues');
    report(80);
    const { samples } = parseMetrics((await get(`${empty.url}metrics`)).body);
    const names = new Set(samples.filter((s) => s.name === 'cobald_queue_jobs').map((s) => s.labels.queue));
    expect(names.size).toBe(50);
  });
});
