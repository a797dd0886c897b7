/**
 * `cobald run --monitor [host:]port` and `--monitor-token-file`: the daemon serves
 * @cobald/monitor for its runtime, logs where, and refuses what cannot work.
 */
import { describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseCommand, parseListen } from '../src/options.js';
import { Daemon, accepting, fixture, tempDir, type LogRecord } from './support.js';

const listening = (record: LogRecord): boolean => record.msg === 'monitor listening';

describe('--monitor', () => {
  it('reads [host:]port, loopback unless a host is given', () => {
    expect(parseListen('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('0.0.0.0:9464')).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(parseListen('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    for (const bad of ['', 'x', ':9464', '65536', '1.2.3.4:', '::1:9464', 'host:port', '9464 ']) {
      expect(() => parseListen(bad)).toThrow(/--monitor must be \[host:\]port/);
    }
    expect(parseCommand(['run', 'c.mjs', '--monitor', '9464'])).toMatchObject({ monitor: { host: '127.0.0.1', port: 9464 } });
    expect(parseCommand(['run', 'c.mjs'])).toMatchObject({ monitor: undefined });
    expect(() => parseCommand(['run', 'c.mjs', '--monitor-token-file', 't'])).toThrow(/needs --monitor/);
  });

  it('serves the monitor for the daemon, logs its url, and answers through the life of the daemon', async () => {
    const daemon = new Daemon(['run', fixture('heartbeat.mjs'), '--monitor', '0']);
    const { url } = await daemon.record(listening);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await daemon.record(accepting);
    const health = await fetch(`${url}healthz`);
    expect([health.status, await health.json()]).toEqual([200, { ok: true, status: 'running' }]);
    const tree = (await (await fetch(`${url}api/tree`)).json()) as { flavours: { payloads: unknown[] }[] };
    expect(tree.flavours[0]?.payloads[0]).toMatchObject({ name: 'heartbeat', state: 'running' });
    expect(await (await fetch(`${url}metrics`)).text()).toContain('cobald_payloads{flavour="asyncio",state="running"} 1');
    daemon.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    await expect(fetch(`${url}healthz`)).rejects.toThrow();
  });

  it('requires the token of --monitor-token-file on every request', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'token'), 'tok-123\n');
    const daemon = new Daemon(['run', fixture('heartbeat.mjs'), '--monitor', '127.0.0.1:0', '--monitor-token-file', 'token'], { cwd: dir });
    const { url } = await daemon.record(listening);
    expect((await fetch(`${url}healthz`)).status).toBe(401);
    expect((await fetch(`${url}healthz`, { headers: { authorization: 'Bearer tok-123' } })).status).toBe(200);
    // The token never reaches the log.
    expect(daemon.stderr).not.toContain('tok-123');
    daemon.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });

  it('exits with 73 when the token file is missing or empty, or the port is taken', async () => {
    const dir = tempDir();
    const missing = new Daemon(['run', fixture('heartbeat.mjs'), '--monitor', '0', '--monitor-token-file', join(dir, 'nope')]);
    expect((await missing.exited).code).toBe(73);
    expect(missing.records().at(-1)).toMatchObject({ level: 60, msg: expect.stringContaining("cannot read the monitor's token file") });

    writeFileSync(join(dir, 'empty'), ' \n');
    const empty = new Daemon(['run', fixture('heartbeat.mjs'), '--monitor', '0', '--monitor-token-file', join(dir, 'empty')]);
    expect((await empty.exited).code).toBe(73);
    expect(empty.records().at(-1)?.msg).toMatch(/is empty$/);

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const busy = new Daemon(['run', fixture('heartbeat.mjs'), '--monitor', String(port)]);
      expect((await busy.exited).code).toBe(73);
      expect(busy.records().at(-1)?.msg).toMatch(new RegExp(`^cannot serve the monitor on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      taken.close();
    }
  });

  it('exits with 64 for a bad --monitor', async () => {
    const daemon = new Daemon(['run', fixture('heartbeat.mjs'), '--monitor', 'everywhere']);
    expect((await daemon.exited).code).toBe(64);
    expect(daemon.stderr).toContain("--monitor must be [host:]port with a port from 0 to 65535, got 'everywhere'");
  });
});
