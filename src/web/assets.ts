/**
 * Finds the browser demo's page for `pqble demo --web` (docs/web.md "How the page is
 * built"): the copy `npm run build` wrote next to this module (dist/web/page/, what the
 * published package serves), else a bundle made now from the sources of a checkout.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PqbleError } from '../errors.js';
import { readPageFiles, type PageFile } from './page-files.js';

/** Loads the page: prebuilt files if present, else a fresh bundle of the sources. */
export async function loadPageFiles(): Promise<PageFile[]> {
  const built = fileURLToPath(new URL('./page/', import.meta.url));
  if (existsSync(`${built}app.js`)) return readPageFiles(built);
  // This module sits two folders below the package root, in src/web/ or dist/web/.
  const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
  if (!existsSync(`${packageRoot}src/web/page/main.ts`)) {
    throw new PqbleError('PQBLE_ERR_UNSUPPORTED', `the browser page is not built (no ${built}app.js): run npm run build`);
  }
  const { bundleWebPage } = await import('./bundle.js');
  return bundleWebPage(packageRoot);
}
