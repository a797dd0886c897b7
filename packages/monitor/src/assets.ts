/**
 * The files of the live page: its HTML, script and style from the package's `page/` folder,
 * and uPlot's script and style from the uplot package this one depends on (no CDN: a daemon's
 * host often has no way out). Read once, when a monitor opens.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

/** One file the server answers with. */
export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** The page's folder, from src/ (under jest) and from dist/ alike. */
const pageDir = new URL('../page/', import.meta.url);
const require = createRequire(import.meta.url);

const files: Readonly<Record<string, { readonly path: string | URL; readonly type: string }>> = {
  '/': { path: new URL('index.html', pageDir), type: 'text/html; charset=utf-8' },
  '/assets/monitor.js': { path: new URL('monitor.js', pageDir), type: 'text/javascript; charset=utf-8' },
  '/assets/monitor.css': { path: new URL('monitor.css', pageDir), type: 'text/css; charset=utf-8' },
  '/assets/uPlot.min.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/uPlot.min.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** Every file of the page by the path it is served at. */
export async function loadAssets(): Promise<ReadonlyMap<string, Asset>> {
  const entries = await Promise.all(
    Object.entries(files).map(async ([route, { path, type }]) => [route, { body: await readFile(path), type }] as const),
  );
  return new Map(entries);
}
