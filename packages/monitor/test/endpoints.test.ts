/**
 * The monitor over real HTTP on an ephemeral port: every endpoint, 404 and 405, the token,
 * untrusted names and messages, and /metrics parsed and compared with what ran.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { asyncio } from '@cobald/flavour-asyncio';
import { currentSignal } from '@cobald/kernel';
import { installTimeout, nodeOfLine, quietRunner, runScript, sleep, until } from '@cobald/test-support';
import { attachMonitor } from '@cobald/monitor';
import { get, openEvents, parseMetrics, sampleValue } from './support/http.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A runner that accepts, with a monitor attached; both stopped after the test. */
async function running(options: Parameters<typeof attachMonitor>[1] = {}) {
  const runner = quietRunner({ gracePeriod: 200 });
  const monitor = await attachMonitor(runner, options);
  cleanups.push(() => monitor.close());
  return { runner, monitor };
}

function accept(runner: ReturnType<typeof quietRunner>): Promise<void> {
  const accepting = runner.accept().catch(() => {});
  cleanups.push(async () => {
    await runner.shutdown();
    await accepting;
  });
  return runner.whenRunning();
}

/** A payload that runs until it is stopped, then throws its signal's AbortError, as a cancelled asyncio payload does. */
async function abortable(): Promise<void> {
  const signal = currentSignal();
  await new Promise<void>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

/** A payload that runs until it is stopped, then ends cleanly. */
async function idle(): Promise<void> {
  const signal = currentSignal();
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

describe('the endpoints', () => {
  it('serves the page, its assets, the tree, the series, the metrics, health and readiness', async () => {
    const { runner, monitor } = await running();
    runner.adopt(idle, { flavour: asyncio, name: 'watcher' });
    await accept(runner);
    expect(monitor.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const page = await get(monitor.url);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<script src="/assets/uPlot.min.js"');
    for (const asset of ['/assets/monitor.js', '/assets/monitor.css', '/assets/uPlot.min.js', '/assets/uPlot.min.css']) {
      const answer = await get(new URL(asset, monitor.url).href);
      expect([asset, answer.status]).toEqual([asset, 200]);
      expect(answer.body.length).toBeGreaterThan(500);
    }
    expect((await get(new URL('/assets/uPlot.min.js', monitor.url).href)).body).toContain('uPlot');

    const tree = await get(`${monitor.url}api/tree`);
    expect(tree.status).toBe(200);
    expect(tree.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(tree.body)).toMatchObject({
      state: 'running',
      health: { ok: true, status: 'running' },
      ready: { ok: true, status: 'ready' },
      flavours: [{ flavour: 'asyncio', payloads: [{ name: 'watcher', state: 'running', restarts: 0, kind: 'adopt' }] }],
    });
    expect(monitor.tree()).toMatchObject({ state: 'running' });

    expect(JSON.parse((await get(`${monitor.url}healthz`)).body)).toEqual({ ok: true, status: 'running' });
    expect((await get(`${monitor.url}readyz`)).status).toBe(200);
    const series = await get(`${monitor.url}api/series`);
    expect(series.status).toBe(200);
    expect(Array.isArray(JSON.parse(series.body))).toBe(true);

    const metrics = await get(`${monitor.url}metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples, types } = parseMetrics(metrics.body);
    expect(types.get('cobald_payloads')).toBe('gauge');
    expect(types.get('cobald_payload_duration_seconds')).toBe('histogram');
    expect(types.get('cobald_restarts_total')).toBe('counter');
    expect(types.get('cobald_thread_pool_busy')).toBe('gauge');
    expect(types.get('cobald_thread_pool_queued')).toBe('gauge');
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(types.get('nodejs_eventloop_lag_p99_seconds')).toBe('gauge');
    expect(types.get('nodejs_gc_duration_seconds')).toBe('histogram');
    expect(types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(types.get('nodejs_version_info')).toBe('gauge');
    expect(sampleValue(samples, 'cobald_payloads', { flavour: 'asyncio', state: 'running' })).toBe(1);
    expect(sampleValue(samples, 'cobald_healthy')).toBe(1);
    expect(sampleValue(samples, 'cobald_ready')).toBe(1);
  });

  it('answers 404 for unknown paths and 405 for anything but GET and HEAD', async () => {
    const { monitor } = await running();
    for (const path of ['nope', 'api', 'api/tree/1', 'assets/', 'assets/../package.json', 'index.html', 'metrics/']) {
      expect([path, (await get(monitor.url + path)).status]).toEqual([path, 404]);
      expect([path, (await get(monitor.url + path, { method: 'HEAD' })).status]).toEqual([path, 404]);
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      for (const path of ['', 'api/tree', 'metrics', 'healthz', 'events']) {
        const answer = await get(monitor.url + path, { method });
        expect([method, path, answer.status]).toEqual([method, path, 405]);
        expect(answer.headers.allow).toBe('GET, HEAD');
      }
    }
  });

  it('answers 400, not 500, to a request target that is no URL', async () => {
    const { monitor } = await running();
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect(monitor.port, '127.0.0.1', () => socket.end('GET http://[ HTTP/1.1\r\nHost: x\r\n\r\n'));
      socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toMatch(/\r\n\r\nbad request target\n$/);
  });

  it('answers HEAD as GET without a body (RFC 9110), the event stream included', async () => {
    const { runner, monitor } = await running();
    await accept(runner);
    for (const path of ['', 'assets/monitor.js', 'healthz', 'readyz', 'api/tree', 'api/series', 'metrics', 'events']) {
      const head = await get(monitor.url + path, { method: 'HEAD' });
      expect([path, head.status, head.body]).toEqual([path, 200, '']);
      const { date: _date, ...headers } = head.headers;
      if (path === 'events') {
        expect(headers['content-type']).toBe('text/event-stream; charset=utf-8');
      } else {
        const { date: _getDate, ...getHeaders } = (await get(monitor.url + path)).headers;
        // The tree, the series and the metrics change between two requests, and with them their length.
        if (['api/tree', 'api/series', 'metrics'].includes(path)) {
          expect([path, headers['content-type']]).toEqual([path, getHeaders['content-type']]);
          expect(Number(headers['content-length'])).toBeGreaterThan(0);
        } else {
          expect([path, headers]).toEqual([path, getHeaders]);
        }
      }
    }
  });

  it('streams the tree and a point a second as server-sent events', async () => {
    const { runner, monitor } = await running();
    runner.adopt(idle, { flavour: asyncio, name: 'watcher' });
    await accept(runner);
    const stream = openEvents(`${monitor.url}events`);
    cleanups.push(() => stream.close());
    expect(await stream.opened).toBe(200);
    const snapshot = await stream.next((e) => e.event === 'snapshot');
    expect(snapshot.data.tree.flavours[0].payloads[0].name).toBe('watcher');
    expect(Array.isArray(snapshot.data.series)).toBe(true);
    await runner.execute(async () => 1, { flavour: asyncio, name: 'one' });
    const tick = await stream.next((e) => e.event === 'tick' && e.data.point.flavours.asyncio?.ended >= 1, 4000);
    expect(tick.data.point).toMatchObject({ busy: 0, queued: 0, loopDelay: { p99: expect.any(Number), max: expect.any(Number) } });
    expect(tick.data.point.flavours.asyncio.p50).toEqual(expect.any(Number));
  });

  it('sends the page at most 200 nodes per list, saying how many more there are; /api/tree has them all', async () => {
    const { runner, monitor } = await running();
    for (let i = 0; i < 250; i++) runner.adopt(idle, { flavour: asyncio, name: `worker-${i}` });
    await accept(runner);
    const stream = openEvents(`${monitor.url}events`);
    cleanups.push(() => stream.close());
    const { data } = await stream.next((e) => e.event === 'snapshot');
    expect(data.tree.flavours[0].payloads).toHaveLength(200);
    expect(data.tree.flavours[0].omitted).toBe(50);
    expect(JSON.parse((await get(`${monitor.url}api/tree`)).body).flavours[0].payloads).toHaveLength(250);
  });

  it('listens on loopback by default and on another address only when given one', async () => {
    const { monitor } = await running();
    expect(monitor.host).toBe('127.0.0.1');
    const any = await attachMonitor(quietRunner(), { host: '0.0.0.0' });
    cleanups.push(() => any.close());
    expect(any.host).toBe('0.0.0.0');
    expect((await get(`http://127.0.0.1:${any.port}/healthz`)).status).toBe(503);
  });

  it('refuses bad options with a TypeError that names them', async () => {
    const runner = quietRunner();
    await expect(attachMonitor(runner, { port: -1 })).rejects.toThrow(/'port'/);
    await expect(attachMonitor(runner, { port: 1.5 })).rejects.toThrow(/'port'/);
    await expect(attachMonitor(runner, { host: '' })).rejects.toThrow(/'host'/);
    await expect(attachMonitor(runner, { token: ' ' })).rejects.toThrow(/'token'/);
    await expect(attachMonitor(runner, { loopDelayLimit: 0 })).rejects.toThrow(/'loopDelayLimit'/);
    await expect(attachMonitor(runner, { defaultMetrics: 'no' as unknown as boolean })).rejects.toThrow(/'defaultMetrics'/);
    // A misspelt option would otherwise leave the monitor on a port nobody asked for.
    await expect(attachMonitor(runner, { prot: 9464 } as object)).rejects.toThrow(
      new TypeError("attachMonitor() has no option 'prot': it takes 'host', 'port', 'token', 'loopDelayLimit', 'defaultMetrics'"),
    );
  });

  it('refuses what is not a runner with a TypeError, instead of serving a 500 on every request', async () => {
    for (const runner of [undefined, null, 5, {}, { tree: 1 }]) {
      await expect(attachMonitor(runner as never)).rejects.toThrow(
        new TypeError(
          `attachMonitor() needs a runner (runtime or a ServiceRunner) with tree() and running, got ${runner === null ? 'null' : typeof runner}`,
        ),
      );
    }
  });

  it('rejects when the port is taken', async () => {
    const { monitor } = await running();
    await expect(attachMonitor(quietRunner(), { port: monitor.port })).rejects.toThrow(/EADDRINUSE/);
  });

  it('closes: the port stops answering and open streams end; closing twice is harmless', async () => {
    const runner = quietRunner();
    const monitor = await attachMonitor(runner);
    const stream = openEvents(`${monitor.url}events`);
    await stream.opened;
    await monitor.close();
    await monitor.close();
    await expect(get(`${monitor.url}healthz`)).rejects.toThrow(/ECONNREFUSED/);
    stream.close();
  });

  it('leaves nothing behind after close(): 300 attach/close cycles in a child process keep the heap flat', async () => {
    // prom-client's collectDefaultMetrics() left a GC observer per monitor holding its registry: ~40 kB a cycle, and slower GCs.
    const result = await runScript(new URL('./fixtures/attach-close-cycles.mjs', import.meta.url), ['20', '300'], {
      execArgv: ['--expose-gc'],
      timeout: 60_000,
    });
    expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
    const { before, after, ...collected } = JSON.parse(result.stdout) as { before: number; after: number };
    expect(collected).toEqual({ monitorCollected: true, registryCollected: true });
    expect(after - before).toBeLessThan(2 * 2 ** 20);
  }, 60_000);

  it(
    'is an async disposable: `await using` (Node 24+) closes it when the block ends',
    async () => {
      const result = await runScript(new URL('./fixtures/await-using.mjs', import.meta.url), [], { node: await nodeOfLine(24) });
      expect(result).toMatchObject({ code: 0, signal: null, stderr: '' });
      expect(result.stdout).toBe('inside 503\nafter ECONNREFUSED\n');
    },
    installTimeout,
  );
});

describe('the bearer token', () => {
  const token = 's3cret-token';

  it('is required on every endpoint when set', async () => {
    const { monitor } = await running({ token });
    for (const path of ['', 'api/tree', 'api/series', 'metrics', 'healthz', 'readyz', 'events', 'assets/monitor.js', 'nope']) {
      const none = await get(monitor.url + path);
      expect([path, none.status]).toEqual([path, 401]);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect([path, (await get(monitor.url + path, { headers: { authorization: 'Bearer wrong' } })).status]).toEqual([path, 401]);
      expect([path, (await get(monitor.url + path, { headers: { authorization: `Basic ${token}` } })).status]).toEqual([path, 401]);
    }
    for (const path of ['', 'api/tree', 'metrics', 'assets/monitor.js']) {
      expect([path, (await get(monitor.url + path, { headers: { authorization: `Bearer ${token}` } })).status]).toEqual([path, 200]);
    }
    expect((await get(`${monitor.url}healthz`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(503);
    // The scheme is case-insensitive (RFC 9110, 11.1).
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect([scheme, (await get(`${monitor.url}api/tree`, { headers: { authorization: `${scheme} ${token}` } })).status]).toEqual([
        scheme,
        200,
      ]);
    }
    expect((await get(`${monitor.url}api/tree`, { method: 'HEAD' })).status).toBe(401);
    expect((await get(`${monitor.url}nope`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
  });

  it('is traded for a cookie by /?token=, for browsers', async () => {
    const { monitor } = await running({ token });
    expect((await get(`${monitor.url}?token=wrong`)).status).toBe(401);
    const login = await get(`${monitor.url}?token=${token}`);
    expect(login.status).toBe(303);
    expect(login.headers.location).toBe('/');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const pair = cookie.split(';')[0]!;
    expect((await get(`${monitor.url}api/tree`, { headers: { cookie: pair } })).status).toBe(200);
    expect((await get(`${monitor.url}api/tree`, { headers: { cookie: 'cobald_monitor_token=wrong' } })).status).toBe(401);
    // Only the page trades a token from the address.
    expect((await get(`${monitor.url}api/tree?token=${token}`)).status).toBe(401);
  });
});

describe('untrusted text', () => {
  it('reaches /api/tree as data, and never the page itself', async () => {
    const { runner, monitor } = await running();
    const hostile = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
    runner.adopt(idle, { flavour: asyncio, name: hostile });
    await accept(runner);
    await runner
      .execute(
        async () => {
          throw new Error(`</script><b>bold</b> & "quoted"`);
        },
        { flavour: asyncio, name: `${hostile}-exec` },
      )
      .catch(() => {});
    const tree = JSON.parse((await get(`${monitor.url}api/tree`)).body);
    expect(tree.flavours[0].payloads[0].name).toBe(hostile);
    const failed = tree.ended.find((p: { name: string }) => p.name === `${hostile}-exec`);
    expect(failed).toMatchObject({ state: 'failed', lastError: { name: 'Error', message: `</script><b>bold</b> & "quoted"` } });
    const page = await get(monitor.url);
    expect(page.body).not.toContain('alert');
    // The page's script writes text only through textContent: no innerHTML, no insertAdjacentHTML, no document.write.
    const script = (await get(`${monitor.url}assets/monitor.js`)).body;
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });
});

describe('/metrics', () => {
  it('counts what ran: payloads by state, durations by flavour, kind and outcome, restarts by name', async () => {
    const { runner, monitor } = await running();
    let failures = 2;
    runner.adopt(
      async function flaky() {
        if (failures-- > 0) throw new Error('not yet');
        await idle();
      },
      { flavour: asyncio, restart: 'on-failure', backoff: { initial: 1 } },
    );
    runner.adopt(idle, { flavour: asyncio, name: 'watcher' });
    await accept(runner);
    for (let i = 0; i < 7; i++) await runner.execute(async () => i, { flavour: asyncio });
    for (let i = 0; i < 3; i++) {
      await runner
        .execute(
          async () => {
            await sleep(2);
            throw new Error('bad');
          },
          { flavour: asyncio },
        )
        .catch(() => {});
    }
    await until(
      () => monitor.tree().flavours?.[0]?.payloads?.some((p) => p.name === 'flaky' && p.state === 'running' && p.restarts === 2) ?? false,
    );

    const { samples } = parseMetrics((await get(`${monitor.url}metrics`)).body);
    const count = (labels: Record<string, string>) => sampleValue(samples, 'cobald_payload_duration_seconds_count', labels);
    expect(count({ flavour: 'asyncio', kind: 'execute', outcome: 'done' })).toBe(7);
    expect(count({ flavour: 'asyncio', kind: 'execute', outcome: 'failed' })).toBe(3);
    expect(count({ flavour: 'asyncio', kind: 'adopt', outcome: 'failed' })).toBe(2);
    expect(
      sampleValue(samples, 'cobald_payload_duration_seconds_bucket', {
        flavour: 'asyncio',
        kind: 'execute',
        outcome: 'failed',
        le: '+Inf',
      }),
    ).toBe(3);
    // Each failing execute slept 2 ms: none ended within 100 µs, all within 5 s.
    expect(
      sampleValue(samples, 'cobald_payload_duration_seconds_bucket', {
        flavour: 'asyncio',
        kind: 'execute',
        outcome: 'failed',
        le: '0.0001',
      }),
    ).toBe(0);
    expect(
      sampleValue(samples, 'cobald_payload_duration_seconds_sum', { flavour: 'asyncio', kind: 'execute', outcome: 'failed' }),
    ).toBeGreaterThanOrEqual(0.005);
    expect(sampleValue(samples, 'cobald_restarts_total', { name: 'flaky' })).toBe(2);
    expect(sampleValue(samples, 'cobald_payloads', { flavour: 'asyncio', state: 'running' })).toBe(2);
    // No label carries an id.
    for (const sample of samples.filter((s) => s.name.startsWith('cobald_'))) {
      expect(Object.keys(sample.labels).every((k) => ['flavour', 'state', 'kind', 'outcome', 'name', 'le'].includes(k))).toBe(true);
    }

    // The tree remembers the last error of the restarted payload.
    const flaky = monitor.tree().flavours?.[0]?.payloads?.find((p) => p.name === 'flaky');
    expect(flaky?.lastError).toMatchObject({ name: 'Error', message: 'not yet' });
  });

  it('counts cancellations by the shutdown as cancelled, not failed', async () => {
    const { runner, monitor } = await running();
    runner.adopt(abortable, { flavour: asyncio, name: 'watcher' });
    const accepting = runner.accept();
    await runner.whenRunning();
    const pending = runner.execute(abortable, { flavour: asyncio, name: 'waits' }).catch(() => {});
    await runner.shutdown();
    await accepting;
    await pending;
    const { samples } = parseMetrics((await get(`${monitor.url}metrics`)).body);
    expect(sampleValue(samples, 'cobald_payload_duration_seconds_count', { kind: 'adopt', outcome: 'cancelled' })).toBe(1);
    expect(sampleValue(samples, 'cobald_payload_duration_seconds_count', { kind: 'execute', outcome: 'cancelled' })).toBe(1);
    expect(sampleValue(samples, 'cobald_payload_duration_seconds_count', { kind: 'adopt', outcome: 'failed' })).toBeUndefined();
  });

  it('keeps restart names bounded: beyond 100 names, restarts count as "other"', async () => {
    const { runner, monitor } = await running();
    for (let i = 0; i < 105; i++) {
      let failed = false;
      runner.adopt(
        async () => {
          if (!failed) {
            failed = true;
            throw new Error('once');
          }
          await idle();
        },
        { flavour: asyncio, name: `job-${i}`, restart: 'on-failure', backoff: { initial: 1 } },
      );
    }
    await accept(runner);
    await until(
      () => (monitor.tree().flavours?.[0]?.payloads ?? []).filter((p) => p.restarts === 1 && p.state === 'running').length === 105,
    );
    const { samples } = parseMetrics((await get(`${monitor.url}metrics`)).body);
    const restarts = samples.filter((s) => s.name === 'cobald_restarts_total');
    expect(restarts).toHaveLength(101);
    expect(sampleValue(samples, 'cobald_restarts_total', { name: 'other' })).toBe(5);
    expect(restarts.reduce((sum, s) => sum + s.value, 0)).toBe(105);
  });

  it('lets the application add its own metrics to the registry', async () => {
    const { monitor } = await running();
    const { Counter } = await import('prom-client');
    new Counter({ name: 'app_jobs_total', help: 'jobs', registers: [monitor.registry] }).inc(3);
    expect(sampleValue(parseMetrics((await get(`${monitor.url}metrics`)).body).samples, 'app_jobs_total')).toBe(3);
  });
});
