import { describe, expect, it } from '@jest/globals';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SystemdNotifier, treeStatus, watchdogInterval, type NotifySend } from '../src/notify.js';
import { Daemon, accepting, fixture, tempDir, withoutSystemd } from './support.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait until `condition` holds, however slowly a busy machine runs the timers; fail after 10 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`waited 10 s for ${what}`);
    await sleep(5);
  }
}

function recorder(fail?: Error) {
  const sent: string[] = [];
  const warnings: string[] = [];
  const send: NotifySend = async (assignments) => {
    sent.push(assignments.join(' '));
    if (fail) throw fail;
  };
  const logger = { warn: (_obj: object, msg?: string) => warnings.push(msg ?? ''), debug: () => {} };
  return { sent, warnings, send, logger };
}

describe('SystemdNotifier', () => {
  it('does nothing without NOTIFY_SOCKET', async () => {
    const { sent, send, logger } = recorder();
    const notifier = new SystemdNotifier({ env: { WATCHDOG_USEC: '1000' }, send, logger });
    notifier.ready();
    notifier.stopping();
    await notifier.close();
    expect(notifier.enabled).toBe(false);
    expect(sent).toEqual([]);
  });

  it('sends READY=1 and STOPPING=1 once each', async () => {
    const { sent, send, logger } = recorder();
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/x' }, send, logger });
    notifier.ready();
    notifier.ready();
    notifier.stopping();
    notifier.stopping();
    await notifier.close();
    expect(sent).toEqual(['READY=1', 'STOPPING=1']);
  });

  it('sends WATCHDOG=1 every half WATCHDOG_USEC after READY=1, until stopping', async () => {
    const { sent, send, logger } = recorder();
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '40000' }, send, logger });
    expect(notifier.watchdogInterval).toBe(20);
    await sleep(60);
    expect(sent).toEqual([]);
    notifier.ready();
    const beats = () => sent.filter((message) => message === 'WATCHDOG=1').length;
    await until(() => beats() >= 3, 'three WATCHDOG=1');
    notifier.stopping();
    const before = beats();
    await sleep(60);
    await notifier.close();
    expect(beats()).toBe(before);
    expect(sent[0]).toBe('READY=1');
    expect(sent.at(-1)).toBe('STOPPING=1');
  });

  it('sends no WATCHDOG=1 while the daemon is unhealthy, so that systemd restarts it', async () => {
    const { sent, send, logger } = recorder();
    let healthy = true;
    const notifier = new SystemdNotifier({
      env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '40000' },
      send,
      logger,
      healthy: () => healthy,
    });
    notifier.ready();
    const beats = () => sent.filter((message) => message === 'WATCHDOG=1').length;
    await until(() => beats() >= 1, 'a WATCHDOG=1 while healthy');
    healthy = false;
    const before = beats();
    await sleep(100);
    expect(beats()).toBe(before);
    healthy = true;
    await until(() => beats() > before, 'a WATCHDOG=1 once healthy again');
    await notifier.close();
  });

  it('sends STATUS= after READY=1 and again only when it changed', async () => {
    const { sent, send, logger } = recorder();
    let status = 'running: 2 payloads (2 asyncio), 0 restarting, 0 restarts';
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/x' }, send, logger, status: () => status });
    notifier.ready();
    expect(sent).toEqual(['READY=1', `STATUS=${status}`]);
    status = 'stopping: 2 payloads (2 asyncio), 0 restarting, 0 restarts';
    notifier.stopping();
    notifier.stopping();
    await notifier.close();
    expect(sent).toEqual(['READY=1', 'STATUS=running: 2 payloads (2 asyncio), 0 restarting, 0 restarts', 'STOPPING=1', `STATUS=${status}`]);
  });

  it('summarises a tree in one line for STATUS=', () => {
    const payload = (flavour: string, state: string, restarts = 0, kind = 'adopt') => ({ flavour, state, restarts, kind, children: [] });
    expect(treeStatus({ state: 'idle', flavours: [] })).toBe('idle: 0 payloads, 0 restarting, 0 restarts');
    expect(
      treeStatus({
        state: 'running',
        flavours: [
          {
            flavour: 'asyncio',
            payloads: [
              payload('asyncio', 'running', 2),
              { ...payload('asyncio', 'running'), children: [payload('threading', 'running', 0, 'execute')] },
            ],
          },
          { flavour: 'supervisor', payloads: [{ ...payload('supervisor', 'running', 1), children: [payload('trio', 'restarting', 3)] }] },
        ],
      }),
    ).toBe('running: 4 payloads (2 asyncio, 1 supervisor, 1 trio), 1 restarting, 6 restarts');
  });

  it('reads the watchdog interval as sd_watchdog_enabled does', () => {
    expect(watchdogInterval({}, 1)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000' }, 1)).toBe(15_000);
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, 1)).toBe(15_000);
    expect(watchdogInterval({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '2' }, 1)).toBeUndefined();
    expect(watchdogInterval({ WATCHDOG_USEC: 'soon' }, 1)).toBeUndefined();
  });

  it('warns once when sending fails, naming systemd-notify when it is missing', async () => {
    const missing = Object.assign(new Error('spawn systemd-notify ENOENT'), { code: 'ENOENT' });
    const { sent, warnings, send, logger } = recorder(missing);
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/x' }, send, logger });
    notifier.ready();
    notifier.stopping();
    await notifier.close();
    expect(sent).toEqual(['READY=1', 'STOPPING=1']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('systemd-notify is not on PATH');
  });

  it('waits in close() for a send in flight', async () => {
    let finished = false;
    const send: NotifySend = async () => {
      await sleep(50);
      finished = true;
    };
    const notifier = new SystemdNotifier({ env: { NOTIFY_SOCKET: '/run/x' }, send, logger: recorder().logger });
    notifier.stopping();
    await notifier.close();
    expect(finished).toBe(true);
  });
});

describe('systemd notifications from the cobald command', () => {
  /** A fake systemd-notify, first on PATH, that appends its arguments to a file. */
  function fakeSystemdNotify() {
    const bin = tempDir();
    const log = join(bin, 'notifications');
    const script = join(bin, 'systemd-notify');
    writeFileSync(script, `#!/bin/sh\necho "$*" >> '${log}'\n`);
    chmodSync(script, 0o755);
    const env = { ...withoutSystemd(process.env), PATH: `${bin}:${process.env.PATH}`, NOTIFY_SOCKET: '/run/fake-notify.sock' };
    // Whole lines only: the file exists, empty, a moment before the script's echo writes to it.
    const lines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
    // Every message but the STATUS= summaries, which have a test of their own.
    const sent = (): string[] => lines().filter((line) => !line.startsWith('STATUS='));
    return { env, sent, lines };
  }

  it('sends READY=1 once accepting and STOPPING=1 on shutdown', async () => {
    const { env, sent } = fakeSystemdNotify();
    const daemon = new Daemon(['run', fixture('heartbeat.mjs')], { env });
    await daemon.record(accepting);
    await daemon.until(() => sent().length > 0 || undefined, 'READY=1');
    expect(sent()).toEqual(['READY=1']);
    daemon.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    expect(sent()).toEqual(['READY=1', 'STOPPING=1']);
  });

  it('sends STOPPING=1 when a failure stops the daemon', async () => {
    const { env, sent } = fakeSystemdNotify();
    const daemon = new Daemon(['run', fixture('failing.mjs')], { env });
    expect((await daemon.exited).code).toBe(1);
    expect(sent()).toEqual(['READY=1', 'STOPPING=1']);
  });

  it('sends STOPPING=1 as soon as a failure begins the shutdown, while payloads still stop', async () => {
    const { env, sent } = fakeSystemdNotify();
    const release = join(tempDir(), 'release');
    const daemon = new Daemon(['run', fixture('failing-slow-stop.mjs'), '--grace-period', '60000'], {
      env: { ...env, COBALD_TEST_RELEASE: release },
    });
    let exited = false;
    void daemon.exited.then(() => (exited = true));
    await daemon.until(() => sent().includes('STOPPING=1') || undefined, 'STOPPING=1');
    // The lingering payload holds the shutdown until the release file exists.
    expect(exited).toBe(false);
    expect(sent()).toEqual(['READY=1', 'STOPPING=1']);
    writeFileSync(release, '');
    expect((await daemon.exited).code).toBe(1);
    expect(sent()).toEqual(['READY=1', 'STOPPING=1']);
    expect(daemon.records().find((record) => record.level === 60)).toMatchObject({ payload: { name: 'crasher' } });
  });

  it('sends STATUS= with a one-line summary once ready and when stopping', async () => {
    const { env, lines } = fakeSystemdNotify();
    const daemon = new Daemon(['run', fixture('heartbeat.mjs')], { env });
    await daemon.until(() => lines().some((line) => line.startsWith('STATUS=')) || undefined, 'STATUS=');
    daemon.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    // Each message is a systemd-notify of its own: READY=1 and its STATUS= may arrive in either order.
    expect(lines()).toHaveLength(4);
    expect(lines()).toEqual(
      expect.arrayContaining([
        'READY=1',
        'STATUS=running: 1 payload (1 asyncio), 0 restarting, 0 restarts',
        'STOPPING=1',
        'STATUS=stopping: 1 payload (1 asyncio), 0 restarting, 0 restarts',
      ]),
    );
  });

  it('sends no READY=1 when the configuration fails', async () => {
    const { env, sent } = fakeSystemdNotify();
    const daemon = new Daemon(['run', fixture('throwing.mjs')], { env });
    expect((await daemon.exited).code).toBe(2);
    expect(sent()).toEqual([]);
  });

  it('sends WATCHDOG=1 while running when WATCHDOG_USEC is set', async () => {
    const { env, sent } = fakeSystemdNotify();
    const daemon = new Daemon(['run', fixture('heartbeat.mjs')], { env: { ...env, WATCHDOG_USEC: '100000' } });
    await daemon.until(() => sent().filter((line) => line === 'WATCHDOG=1').length >= 2 || undefined, 'two WATCHDOG=1');
    daemon.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
    expect(sent()[0]).toBe('READY=1');
    expect(sent().at(-1)).toBe('STOPPING=1');
  });

  it('warns once when systemd-notify is not on PATH', async () => {
    const env = { ...withoutSystemd(process.env), PATH: tempDir(), NOTIFY_SOCKET: '/run/fake-notify.sock' };
    const daemon = new Daemon(['run', fixture('heartbeat.mjs')], { env });
    await daemon.record((record) => record.level === 40);
    daemon.kill('SIGINT');
    expect((await daemon.exited).code).toBe(0);
    const warnings = daemon.records().filter((record) => record.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('systemd-notify is not on PATH');
  });
});
