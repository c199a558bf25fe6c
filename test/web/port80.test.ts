/**
 * Review finding: on port 80 a browser sends `Host: 127.0.0.1` (the default port is left
 * out), and the page server answered every request with 421: `pqble demo --web --port 80`
 * served nothing. The Host check must accept the host without its default port (and still
 * refuse any other host).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { contentTypeOf } from '../../src/web/page-files.js';
import { PAGE_SERVER_HOST, startPageServer, type PageServer } from '../../src/web/server.js';

function status(port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: PAGE_SERVER_HOST, port, path: '/', headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('review: page server on the default HTTP port', () => {
  it('port 80: a Host without the default port gets 421 (must get the page)', async (t) => {
    let server: PageServer;
    try {
      server = await startPageServer({
        files: [{ name: 'index.html', contentType: contentTypeOf('index.html'), body: new TextEncoder().encode('<p>hi</p>') }],
        port: 80,
      });
    } catch (err) {
      t.skip(`port 80 on ${PAGE_SERVER_HOST} cannot be had here (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      return;
    }
    try {
      assert.equal(await status(80, '127.0.0.1'), 200);
      assert.equal(await status(80, 'localhost'), 200);
      assert.equal(await status(80, '127.0.0.1:80'), 200);
      assert.equal(await status(80, 'evil.example'), 421);
      assert.equal(await status(80, 'evil.example:80'), 421);
    } finally {
      await server.close();
    }
  });
});
