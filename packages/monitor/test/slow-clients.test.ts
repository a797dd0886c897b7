/**
 * `/events` and clients that stop reading (issue 18): three raw HTTP connections ask for the
 * stream and never read, while 200 payloads and a restart every few milliseconds make an event
 * of the whole tree many times a second. Each stalled stream is cut once it holds more than
 * `unreadLimit` unread bytes, the heap stays flat, and a page that reads keeps its stream. And
 * connections that send half a request: at most `connectionLimit` are kept, each for at most the
 * headers timeout, so they cannot take every file descriptor of the daemon.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { asyncio } from '@cobald/flavour-asyncio';
import { currentSignal } from '@cobald/kernel';
import { deferred, quietRunner, until } from '@cobald/test-support';
import { attachMonitor } from '@cobald/monitor';
import { connectionLimit, headersTimeout, unreadLimit } from '../src/server.js';
import { get } from './support/http.js';
import { request } from 'node:http';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function idle(): Promise<void> {
  const signal = currentSignal();
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Heap in use after full collections (jest runs with --expose-gc). */
async function heapUsed(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    globalThis.gc!();
  }
  return process.memoryUsage().heapUsed;
}

/** A page that reads its stream and counts its tree events, keeping nothing else (its memory is the test's heap too). */
function countingReader(port: number): { trees: () => number; size: Promise<number> } {
  let trees = 0;
  let tail = '';
  const size = deferred<number>();
  const req = request({ host: '127.0.0.1', port, path: '/events' }, (res) => {
    res.setEncoding('utf8').on('data', (chunk: string) => {
      const text = tail + chunk;
      for (let at = text.indexOf('event: tree\n'); at >= 0; at = text.indexOf('event: tree\n', at + 1)) {
        trees++;
        const end = text.indexOf('\n\n', at);
        if (end >= 0) size.resolve(end - at);
      }
      tail = text.slice(-16);
    });
    res.on('error', () => {});
  });
  req.on('error', () => {});
  req.end();
  cleanups.push(() => req.destroy());
  return { trees: () => trees, size: size.promise };
}

/** A connection that asks for /events and then reads nothing; `ended` settles when the server closes it. */
function stalledClient(port: number): { socket: Socket; received: () => number; ended: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  socket.pause();
  let received = 0;
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => (received += chunk.length));
  socket.on('error', () => {});
  cleanups.push(() => socket.destroy());
  return { socket, received: () => received, ended };
}

describe('clients that hold connections', () => {
  it(`get at most ${connectionLimit} connections, and each that never finishes its request ends after the headers timeout`, async () => {
    const runner = quietRunner();
    const monitor = await attachMonitor(runner);
    cleanups.push(() => monitor.close());
    let open = 0;
    let closed = 0;
    const sockets = Array.from({ length: connectionLimit + 10 }, () => {
      const socket = connect(monitor.port, '127.0.0.1', () => {
        open++;
        socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      });
      // Read what comes (the 408 at the end), or the server's close would never be seen.
      socket.resume();
      socket.on('close', () => closed++);
      socket.on('error', () => {});
      cleanups.push(() => socket.destroy());
      return socket;
    });
    // The ones beyond the limit are closed as they come, the rest are held.
    await until(() => open === sockets.length && closed >= 10, 10_000);
    expect(closed).toBe(10);
    // Then the headers timeout ends the held ones, and the monitor answers again.
    await until(() => closed === sockets.length, headersTimeout + 20_000);
    expect((await get(`${monitor.url}healthz`)).status).toBe(503);
  }, 60_000);
});

describe('a client of /events that stops reading', () => {
  it('is disconnected once it leaves too much unread, and the heap stays flat', async () => {
    const runner = quietRunner({ gracePeriod: 500 });
    const monitor = await attachMonitor(runner);
    cleanups.push(() => monitor.close());
    for (let i = 0; i < 200; i++) runner.adopt(idle, { flavour: asyncio, name: `worker-${i}-with-a-name-of-some-length` });
    runner.adopt(
      async function flaky() {
        throw new Error('lost the connection');
      },
      { flavour: asyncio, restart: 'always', backoff: { initial: 1, max: 1 }, intensity: { restarts: 1e9, within: 1000 } },
    );
    const accepting = runner.accept().catch(() => {});
    cleanups.push(async () => {
      await runner.shutdown();
      await accepting;
    });
    await runner.whenRunning();

    const reader = countingReader(monitor.port);
    const eventSize = await reader.size;
    const stalled = [0, 1, 2].map(() => stalledClient(monitor.port));
    const before = await heapUsed();

    // Enough events that each stalled stream, written in full, would hold 20 MB.
    const events = Math.ceil((20 * 2 ** 20) / eventSize);
    await until(() => reader.trees() >= events, 120_000);
    const after = await heapUsed();

    // Each stalled stream holds at most unreadLimit and one event in the daemon, then it is cut.
    expect(after - before).toBeLessThan(3 * (unreadLimit + eventSize) + 4 * 2 ** 20);
    for (const client of stalled) {
      client.socket.resume();
      await client.ended;
      expect(client.received()).toBeGreaterThan(0);
      expect(client.received()).toBeLessThan(20 * 2 ** 20);
    }
    // The page that reads keeps its stream.
    const seen = reader.trees();
    await until(() => reader.trees() > seen);
  }, 180_000);
});
