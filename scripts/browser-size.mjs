#!/usr/bin/env node
// `npm run size:browser`: the size of `import 'pqble'` bundled for a browser (esbuild,
// platform browser, minified ES module, everything the root exports kept), and of the
// browser demo page's bundle, each minified and gzipped. Needs `npm run build` first.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function bundle(contents) {
  const result = await build({
    stdin: { contents, resolveDir: root, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].contents;
}

function line(label, bytes) {
  console.log(`${label.padEnd(34)} ${String(bytes.length).padStart(8)} bytes minified ${String(gzipSync(bytes).length).padStart(8)} gzipped`);
}

line("import 'pqble' (the whole root)", await bundle("export * from 'pqble';"));
line("import 'pqble' + 'pqble/radio'", await bundle("export * from 'pqble'; export * from 'pqble/radio';"));
line('demo page (dist/web/page/app.js)', readFileSync(join(root, 'dist/web/page/app.js')));
