/**
 * The monitor's HTTP server: GET, and HEAD as GET without a body (RFC 9110, 9.3.2); anything
 * else 405, unknown paths 404, and, when a token
 * is set, the token on every request (401 without it). The page's browser cannot send a bearer
 * header when it navigates, so `/?token=…` also works: it sets the token as a strict,
 * HTTP-only cookie and redirects to `/`, and the page's requests carry that cookie.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { Asset } from './assets.js';
import type { Health, Readiness } from './health.js';
import type { SeriesPoint } from './series.js';
import type { MonitorTree } from './tree-view.js';

/** What the server answers from. */
export interface ServerSources {
  readonly assets: ReadonlyMap<string, Asset>;
  readonly token: string | undefined;
  tree(): MonitorTree;
  /** The tree as the page gets it: long lists cut short. */
  pageTree(): MonitorTree;
  series(): SeriesPoint[];
  health(): Health;
  readiness(): Readiness;
  metrics(): Promise<{ text: string; contentType: string }>;
}

const cookieName = 'cobald_monitor_token';
/** What a request's target is read against: it names no host of ours. */
const base = 'http://monitor.invalid';

const common = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** The page runs only its own scripts and styles and talks only to this server. */
const pagePolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Bytes of events a page may leave unread before its stream is cut. A page that stops reading
 * (a suspended laptop, a stuck proxy) would otherwise make the daemon buffer every event for it
 * until the connection ends; cut, a live page reconnects (`retry`) and starts from a snapshot.
 */
export const unreadLimit = 2 ** 20;

/**
 * Connections the monitor keeps at once; Node.js closes further ones as they come. Without a
 * limit, a client that opens connections and sends half a request on each took every file
 * descriptor of the daemon (its payloads' too) until the headers timeout ended them.
 */
export const connectionLimit = 128;

/** Milliseconds a client has to send a whole request (the monitor's are a few hundred bytes); Node's default is a minute. */
export const headersTimeout = 10_000;

/** Server-sent events to the open pages. */
export class EventStreams {
  readonly #clients = new Set<ServerResponse>();

  get size(): number {
    return this.#clients.size;
  }

  add(response: ServerResponse, first: string): void {
    response.writeHead(200, { ...common, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    if (response.req.method === 'HEAD') {
      response.end();
      return;
    }
    response.write(`retry: 2000\n\n${first}`);
    this.#clients.add(response);
    response.on('close', () => this.#clients.delete(response));
  }

  /** Send one event to every open page. */
  send(event: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const message = format(event, data);
    for (const client of this.#clients) {
      // What the response and its socket hold, not yet taken by the kernel.
      if (client.writableLength > unreadLimit) {
        this.#clients.delete(client);
        client.destroy();
      } else {
        client.write(message);
      }
    }
  }

  close(): void {
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }
}

/** One server-sent event; JSON has no raw newlines, so one `data:` line holds it. */
export function format(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createMonitorServer(sources: ServerSources, streams: EventStreams): Server {
  const expected = sources.token === undefined ? undefined : digest(sources.token);
  const authorized = (request: IncomingMessage, url: URL): boolean => {
    if (!expected) return true;
    const header = request.headers.authorization;
    // The scheme is case-insensitive (RFC 9110, 11.1): 'bearer' is as good as 'Bearer'.
    const bearer = header !== undefined && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
    const given = bearer ?? readCookie(request.headers.cookie, cookieName) ?? (url.pathname === '/' ? url.searchParams.get('token') : null);
    return given !== undefined && given !== null && timingSafeEqual(digest(given), expected);
  };

  type Route = (response: ServerResponse) => void | Promise<void>;
  const json = (response: ServerResponse, status: number, data: unknown): void =>
    send(response, status, 'application/json; charset=utf-8', `${JSON.stringify(data)}\n`);
  const routes: Readonly<Record<string, Route>> = {
    '/api/tree': (response) => json(response, 200, sources.tree()),
    '/api/series': (response) => json(response, 200, sources.series()),
    '/healthz': (response) => {
      const health = sources.health();
      json(response, health.ok ? 200 : 503, health);
    },
    '/readyz': (response) => {
      const ready = sources.readiness();
      json(response, ready.ok ? 200 : 503, ready);
    },
    '/metrics': async (response) => {
      const { text, contentType } = await sources.metrics();
      send(response, 200, contentType, text);
    },
    '/events': (response) => streams.add(response, format('snapshot', { tree: sources.pageTree(), series: sources.series() })),
  };

  const server = createServer(
    { headersTimeout, requestTimeout: headersTimeout, connectionsCheckingInterval: 1000 },
    (request, response) => {
      void answer(request, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', `internal error: ${String(error)}\n`);
        else response.destroy();
      });
    },
  );
  server.maxConnections = connectionLimit;
  return server;

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const target = request.url ?? '/';
    if (!URL.canParse(target, base)) {
      // An absolute-form target that is no URL (`GET http://[ HTTP/1.1`): the client's error, not ours.
      send(response, 400, 'text/plain; charset=utf-8', 'bad request target\n');
      return;
    }
    const url = new URL(target, base);
    if (!authorized(request, url)) {
      response.setHeader('www-authenticate', 'Bearer realm="cobald monitor"');
      send(response, 401, 'text/plain; charset=utf-8', 'a bearer token is required\n');
      return;
    }
    const route = routes[url.pathname];
    const asset = sources.assets.get(url.pathname);
    if (!route && !asset) {
      send(response, 404, 'text/plain; charset=utf-8', 'not found\n');
      return;
    }
    // Node.js sends no body for HEAD by itself: a HEAD is answered as the GET would be.
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      send(response, 405, 'text/plain; charset=utf-8', 'only GET and HEAD are allowed\n');
      return;
    }
    if (url.pathname === '/' && expected && url.searchParams.has('token')) {
      // Trade the token in the address for a cookie, so it leaves the address bar and history.
      response.setHeader(
        'set-cookie',
        `${cookieName}=${encodeURIComponent(url.searchParams.get('token')!)}; Path=/; HttpOnly; SameSite=Strict`,
      );
      response.setHeader('location', '/');
      send(response, 303, 'text/plain; charset=utf-8', 'see /\n');
      return;
    }
    if (route) await route(response);
    else {
      if (url.pathname === '/') response.setHeader('content-security-policy', pagePolicy);
      send(response, 200, asset!.type, asset!.body);
    }
  }
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { ...common, 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/** A fixed-length digest, so that comparing tokens of any length takes the same time. */
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
