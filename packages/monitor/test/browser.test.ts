/**
 * The live page in a real browser: Debian's chromium (installed when missing) driven by playwright-core, against the
 * demo of examples/demo.mjs with a monitor attached (test/fixtures/demo-monitor.mjs, a child
 * process). The tree shows the demo's payloads, a restart appears without reloading, untrusted
 * names and messages show as text, the charts draw, and a narrow screen needs no sideways
 * scrolling. Screenshots go to a temporary folder, or to COBALD_SCREENSHOT_DIR (the docs'
 * images are made with `COBALD_SCREENSHOT_DIR=docs/images`).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { debianProgram, installTimeout } from '@cobald/test-support';

const fixture = fileURLToPath(new URL('./fixtures/demo-monitor.mjs', import.meta.url));
const repository = fileURLToPath(new URL('../../../', import.meta.url));
const screenshots = process.env.COBALD_SCREENSHOT_DIR
  ? resolve(repository, process.env.COBALD_SCREENSHOT_DIR)
  : mkdtempSync(join(tmpdir(), 'cobald-monitor-'));
const hostileName = '<img src=x onerror="window.pwned=1">feed';
const hostileError = '<script>window.pwned=2</script> connection lost';

let daemon: ChildProcess;
let url: string;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  const executablePath = await debianProgram('/usr/bin/chromium');
  daemon = spawn(process.execPath, [fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
  url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    daemon.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolveUrl((JSON.parse(line) as { url: string }).url);
    });
    daemon.on('exit', (code) => reject(new Error(`the demo exited with ${code} before it served`)));
  });
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  await page.goto(url);
}, installTimeout);

afterAll(async () => {
  await browser?.close();
  if (daemon && daemon.exitCode === null) {
    const exited = new Promise((done) => daemon.once('exit', done));
    daemon.kill('SIGTERM');
    const kill = setTimeout(() => daemon.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(kill);
  }
}, 30_000);

/** The row of the payload named `name`. */
const row = (name: string) => page.locator(`#tree .node[data-name="${name.replace(/["\\]/g, '\\$&')}"]`).first();

describe('the live page in chromium', () => {
  it("shows the demo's payloads in the tree, live", async () => {
    await expect(page.locator('#connection')).toBeDefined();
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 10_000 });
    for (const name of ['heartbeat', 'ticker', 'primes']) {
      await row(name).waitFor({ timeout: 10_000 });
      expect(await row(name).getAttribute('data-state')).toBe('running');
    }
    expect(await row('ticker').locator('.flavour').textContent()).toBe('trio');
    expect(await row('heartbeat').locator('.flavour').textContent()).toBe('asyncio');
    // The primes payload's executes run on the threading flavour.
    await page.locator('#tree .node .flavour', { hasText: 'threading' }).first().waitFor({ timeout: 15_000 });
    expect(await page.locator('#state').textContent()).toBe('running');
    expect(await page.locator('#health').textContent()).toBe('running');
    expect(await page.locator('#ready').textContent()).toBe('ready');
  }, 30_000);

  it('shows a restart without reloading, with its error as text', async () => {
    const feed = row(hostileName);
    await feed.waitFor({ timeout: 10_000 });
    expect(await feed.locator('.restarts').textContent()).toBe('0 restarts');
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    daemon.kill('SIGUSR2');
    await page.locator(`#tree .node[data-state="restarting"], #tree .restarts:text-is("1 restart")`).first().waitFor({ timeout: 10_000 });
    await feed.locator('.restarts', { hasText: '1 restart' }).waitFor({ timeout: 10_000 });
    expect(await feed.locator('.error').textContent()).toBe(`last error: Error: ${hostileError}`);
    expect(navigations).toEqual([]);
  }, 30_000);

  it('shows untrusted names and messages as text, never as markup', async () => {
    expect(await row(hostileName).locator('.name').textContent()).toBe(hostileName);
    expect(await page.locator('#tree img, #tree script, #tree b, #ended img, #ended script').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: unknown }).pwned)).toBeUndefined();
    expect(dialogs).toEqual([]);
  });

  it('draws the charts', async () => {
    // A few seconds of points.
    await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length === 4, undefined, { timeout: 10_000 });
    await page.waitForTimeout(4000);
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLCanvasElement>('.chart canvas')].map((canvas) => {
        const context = canvas.getContext('2d')!;
        const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
        let inked = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) inked++;
        return { id: canvas.closest('.chart')!.id, width: canvas.width, height: canvas.height, inked };
      }),
    );
    expect(drawn.map((chart) => chart.id)).toEqual(['chart-throughput', 'chart-latency', 'chart-pool', 'chart-loop']);
    for (const chart of drawn) {
      expect(chart.width).toBeGreaterThan(150);
      expect(chart.height).toBeGreaterThan(100);
      // Axes, grid and series lines: well beyond an empty canvas.
      expect([chart.id, chart.inked > 1000]).toEqual([chart.id, true]);
    }
    // The legends name the demo's flavours.
    const legend = await page.locator('#chart-throughput .u-legend').textContent();
    expect(legend).toContain('asyncio started');
    expect(legend).toContain('threading ended');
    await page.screenshot({ path: join(screenshots, 'monitor.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it('fits a narrow screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(screenshots, 'monitor-narrow.png'), fullPage: false });
  }, 30_000);
});
