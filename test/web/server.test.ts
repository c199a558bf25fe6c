// The page server of `pqble demo --web`: loopback only, its files and nothing else, GET and
// HEAD only, Host checked, the no-network policy on every response, option checks, a taken
// port rejected, and close() ending keep-alive connections.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { PAGE_CSP, PAGE_SERVER_HOST, startPageServer, type PageServer, type PageServerOptions } from '../../src/web/server.js';
import type { PageFile } from '../../src/web/page-files.js';
import { contentTypeOf, readPageFiles } from '../../src/web/page-files.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const FILES: PageFile[] = [
  { name: 'index.html', contentType: contentTypeOf('index.html'), body: new TextEncoder().encode('<!doctype html><p>hi</p>') },
  { name: 'app.js', contentType: contentTypeOf('app.js'), body: new TextEncoder().encode('console.log(1)') },
];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, options: { method?: string; host?: string; agent?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: PAGE_SERVER_HOST, port, path, method: options.method ?? 'GET', headers: { host: options.host ?? `${PAGE_SERVER_HOST}:${port}` }, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('startPageServer', () => {
  let server: PageServer;
  before(async () => {
    server = await startPageServer({ files: FILES });
  });
  after(async () => {
    await server.close();
  });

  it('listens on 127.0.0.1 at a free port and serves its files, index.html also at /', async () => {
    assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
    assert.ok(server.port > 0);
    const root = await get(server.port, '/');
    assert.equal(root.status, 200);
    assert.equal(root.body, '<!doctype html><p>hi</p>');
    assert.equal(root.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(root.headers['content-security-policy'], PAGE_CSP);
    assert.match(PAGE_CSP, /connect-src 'none'/);
    assert.equal(root.headers['x-content-type-options'], 'nosniff');
    const js = await get(server.port, '/app.js?v=1');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(js.body, 'console.log(1)');
    const head = await get(server.port, '/app.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], String(FILES[1].body.length));
    const local = await get(server.port, '/', { host: `localhost:${server.port}` });
    assert.equal(local.status, 200);
  });

  it('answers 404 for anything else, 405 for other methods, 421 for another Host', async () => {
    for (const path of ['/nope', '/../package.json', '/index.html/', '//app.js', '/%2e%2e/x']) assert.equal((await get(server.port, path)).status, 404, path);
    const post = await get(server.port, '/', { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.equal((await get(server.port, '/', { host: 'evil.example' })).status, 421);
    assert.equal((await get(server.port, '/', { host: `127.0.0.1:${server.port + 1}` })).status, 421);
  });

  it('rejects a port that is taken', async () => {
    await assert.rejects(startPageServer({ files: FILES, port: server.port }), (err: NodeJS.ErrnoException) => err.code === 'EADDRINUSE');
  });

  it('checks its options', async () => {
    const bad: [unknown, ErrorConstructor][] = [
      [undefined, TypeError],
      [{}, TypeError],
      [{ files: [] }, TypeError],
      [{ files: FILES, port: 70000 }, RangeError],
      [{ files: FILES, port: -1 }, RangeError],
      [{ files: FILES, port: 1.5 }, TypeError],
      [{ files: FILES, host: '0.0.0.0' }, TypeError],
      [{ files: [{ name: '../x', contentType: 'text/plain', body: new Uint8Array(1) }] }, TypeError],
      [{ files: [{ name: 'x', contentType: 'text/plain', body: 'text' }] }, TypeError],
      [{ files: Array.from({ length: 17 }, (_, i) => ({ ...FILES[0], name: `f${i}` })) }, RangeError],
    ];
    for (const [options, type] of bad) await assert.rejects(startPageServer(options as PageServerOptions), type, JSON.stringify(options));
  });

  it('close() ends open keep-alive connections, is idempotent, and the port is free again', async () => {
    const s = await startPageServer({ files: FILES });
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request({ host: PAGE_SERVER_HOST, port: s.port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    const started = Date.now();
    await Promise.all([s.close(), s.close()]);
    assert.ok(Date.now() - started < 2_000, 'close does not wait for the idle keep-alive socket');
    agent.destroy();
    const again = await startPageServer({ files: FILES, port: s.port });
    await again.close();
  });
});

describe('readPageFiles', () => {
  it('reads a built page folder and names what is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pqble-page-files-'));
    try {
      for (const name of ['index.html', 'style.css']) writeFileSync(join(dir, name), name);
      await assert.rejects(
        readPageFiles(dir),
        (err: { code?: string; message?: string }) => err.code === 'PQBLE_ERR_UNSUPPORTED' && /app\.js/.test(err.message ?? ''),
      );
      writeFileSync(join(dir, 'app.js'), 'x');
      const files = await readPageFiles(dir);
      assert.deepEqual(
        files.map((f) => [f.name, f.contentType, new TextDecoder().decode(f.body)]),
        [
          ['index.html', 'text/html; charset=utf-8', 'index.html'],
          ['style.css', 'text/css; charset=utf-8', 'style.css'],
          ['app.js', 'text/javascript; charset=utf-8', 'x'],
        ],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
