#!/usr/bin/env node
// Part of `npm run build` (after tsc): bundles the browser demo page (src/web/page/, see
// docs/web.md "How the page is built") into dist/web/page/, so the published package serves
// static files for `pqble demo --web` and needs no esbuild at run time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { bundleWebPage } = await import(join(root, 'dist/web/bundle.js'));
const out = join(root, 'dist/web/page');
mkdirSync(out, { recursive: true });
for (const file of await bundleWebPage(root)) {
  writeFileSync(join(out, file.name), file.body);
  if (file.name.endsWith('.js')) console.log(`dist/web/page/${file.name}: ${file.body.length} bytes, ${gzipSync(file.body).length} gzipped`);
}
