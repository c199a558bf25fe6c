/**
 * `pqble demo --web` (docs/cli.md "pqble demo --web", docs/web.md): serves the browser demo
 * page on 127.0.0.1, prints its address on stdout, and runs until Ctrl-C (the context's
 * signal), then closes the server and every open connection and exits 0.
 *
 * @module
 */

import { EXIT_OK } from './args.js';
import type { CliContext } from './context.js';

/** What `pqble demo --web` was asked for. */
export interface DemoWebOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
  /** Query string for the page (`phy`, `interval-ms`), without `?`; empty for the defaults. */
  readonly query: string;
}

/** Serves the page until `context.signal` aborts. */
export async function serveDemoPage(context: CliContext, options: DemoWebOptions): Promise<number> {
  const { loadPageFiles } = await import('../web/assets.js');
  const { startPageServer, PAGE_SERVER_HOST } = await import('../web/server.js');
  const files = await loadPageFiles();
  let server;
  try {
    server = await startPageServer({ files, port: options.port });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${options.port} on ${PAGE_SERVER_HOST} is in use (try --port 0 for a free one)`, { cause: err });
    throw err;
  }
  try {
    const url = options.query === '' ? server.url : `${server.url}?${options.query}`;
    const s = context.errStyle;
    context.stderr.write(`${s.bold('pqble demo --web')}: the demo runs in your browser, on the simulated radio. Open:\n`);
    context.stdout.write(`${url}\n`);
    context.stderr.write(`${s.dim(`Serving on ${PAGE_SERVER_HOST} only; Ctrl-C stops.`)}\n`);
    await new Promise<void>((resolve) => {
      if (context.signal.aborted) resolve();
      else context.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return EXIT_OK;
  } finally {
    await server.close();
  }
}
