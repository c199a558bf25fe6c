/**
 * The local web server of `pqble demo --web` (docs/web.md "The server"): serves the page's
 * files on 127.0.0.1 only, GET and HEAD only, to requests whose `Host` is this server (a
 * DNS-rebinding page elsewhere gets 421), with a Content-Security-Policy that lets the page
 * load nothing but its own files and connect nowhere. `close()` ends open keep-alive
 * connections too, so nothing is left running.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PageFile } from './page-files.js';
import { checkOptionKeys } from '../util/options.js';

/** Options of {@link startPageServer}. An unknown key is a TypeError. */
export interface PageServerOptions {
  /** The files to serve (`index.html` is also served at `/`). Required, at most 16 files. */
  readonly files: readonly PageFile[];
  /** TCP port on 127.0.0.1, 0..65535; 0 (default) picks a free one. */
  readonly port?: number;
}

/** A running page server. */
export interface PageServer {
  /** The page's address, `http://127.0.0.1:<port>/`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes every open connection. Idempotent. */
  close(): Promise<void>;
}

/** The host the server binds: loopback only. */
export const PAGE_SERVER_HOST = '127.0.0.1';

/** The policy of every response: own files only, no network, no plugins, no framing. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const MAX_FILES = 16;

function checkOptions(options: PageServerOptions): void {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  checkOptionKeys(options, ['files', 'port'], 'startPageServer options');
  const files: unknown = options.files;
  if (!Array.isArray(files) || files.length === 0) throw new TypeError('files must be a non-empty array of page files');
  if (files.length > MAX_FILES) throw new RangeError(`files: at most ${MAX_FILES} files`);
  for (const f of files as (Partial<PageFile> | null)[]) {
    if (typeof f?.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/i.test(f.name)) throw new TypeError('each file needs a plain file name');
    if (typeof f.contentType !== 'string' || !(f.body instanceof Uint8Array))
      throw new TypeError(`file ${f.name} needs a contentType string and a Uint8Array body`);
  }
  const port = options.port;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port))) throw new TypeError('port must be an integer');
  if (port !== undefined && (port < 0 || port > 65535)) throw new RangeError('port must be 0..65535');
}

function send(res: ServerResponse, status: number, type: string, body: Uint8Array | string, head: boolean): void {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
    'Content-Security-Policy': PAGE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
  res.end(head ? undefined : bytes);
}

/**
 * Starts serving `files` on 127.0.0.1. Rejects with the listen error (for example
 * `EADDRINUSE` when the port is taken).
 */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  checkOptions(options);
  const byPath = new Map<string, PageFile>();
  for (const f of options.files) byPath.set(`/${f.name}`, f);
  const index = byPath.get('/index.html');
  if (index !== undefined) byPath.set('/', index);
  let port = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', false);
      return;
    }
    const host = req.headers.host;
    // On port 80 a browser leaves the default port out of Host.
    const hostOk =
      host === `${PAGE_SERVER_HOST}:${port}` || host === `localhost:${port}` || (port === 80 && (host === PAGE_SERVER_HOST || host === 'localhost'));
    if (!hostOk) {
      send(res, 421, 'text/plain; charset=utf-8', 'misdirected request\n', head);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    const file = byPath.get(path);
    if (file === undefined) send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
    else send(res, 200, file.contentType, file.body, head);
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: PAGE_SERVER_HOST, port: options.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  // An accept that fails once listening (EMFILE, say) drops that connection, never the process.
  server.on('error', () => undefined);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${PAGE_SERVER_HOST}:${port}/`,
    port,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
