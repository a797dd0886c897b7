/**
 * Supervision trees (issue 10): the monitor walks `children` at any depth, so nested
 * supervisors and their children show as they nest, in /api/tree, in what the page gets, and
 * in /metrics; a child's restart and last error show on the child.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { asyncio } from '@cobald/flavour-asyncio';
import { currentSignal, supervisor } from '@cobald/kernel';
import { quietRunner, until } from '@cobald/test-support';
import { attachMonitor, type MonitorNode } from '@cobald/monitor';
import { get, parseMetrics, sampleValue } from './support/http.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function idle(): Promise<void> {
  const signal = currentSignal();
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Every node under `nodes`, depth first, with its depth. */
function flatten(nodes: readonly MonitorNode[] | undefined, depth = 0): { node: MonitorNode; depth: number }[] {
  return (nodes ?? []).flatMap((node) => [{ node, depth }, ...flatten(node.children ?? node.payloads, depth + 1)]);
}

describe('a nested supervision tree', () => {
  it('shows supervisors and their children as they nest, with a child restart on the child', async () => {
    const runner = quietRunner({ gracePeriod: 200 });
    const monitor = await attachMonitor(runner);
    cleanups.push(() => monitor.close());
    let failures = 1;
    runner.adopt(
      supervisor({
        name: 'ingest',
        strategy: 'one-for-one',
        children: [
          { name: 'db', payload: idle, flavour: asyncio, restart: 'always' },
          supervisor({
            name: 'exporters',
            children: [
              {
                name: 'push',
                payload: async () => {
                  if (failures-- > 0) throw new Error('<i>push</i> refused');
                  await idle();
                },
                flavour: asyncio,
                restart: 'on-failure',
                backoff: { initial: 1 },
              },
            ],
          }),
        ],
      }),
      { restart: 'on-failure' },
    );
    const accepting = runner.accept();
    cleanups.push(async () => {
      await runner.shutdown();
      await accepting.catch(() => {});
    });
    await runner.whenRunning();
    const byName = (name: string) => flatten(monitor.tree().flavours).find(({ node }) => node.name === name);
    await until(() => byName('push')?.node.state === 'running' && byName('push')?.node.restarts === 1);

    const tree = JSON.parse((await get(`${monitor.url}api/tree`)).body);
    const nodes = flatten(tree.flavours).map(({ node, depth }) => [node.name ?? node.flavour, depth]);
    expect(nodes).toEqual(
      expect.arrayContaining([
        ['ingest', 1],
        ['db', 2],
        ['exporters', 2],
        ['push', 3],
      ]),
    );
    const push = flatten(tree.flavours).find(({ node }) => node.name === 'push')!.node;
    expect(push).toMatchObject({ flavour: 'asyncio', restarts: 1, lastError: { message: '<i>push</i> refused' } });
    expect(flatten(tree.flavours).find(({ node }) => node.name === 'ingest')!.node).toMatchObject({ strategy: 'one-for-one' });

    const { samples } = parseMetrics((await get(`${monitor.url}metrics`)).body);
    expect(sampleValue(samples, 'cobald_payloads', { flavour: 'asyncio', state: 'running' })).toBe(2);
    expect(sampleValue(samples, 'cobald_restarts_total', { name: 'push' })).toBe(1);
  });
});
