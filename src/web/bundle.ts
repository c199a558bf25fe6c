/**
 * Builds the browser demo's page (docs/web.md "How the page is built"): esbuild bundles
 * src/web/page/main.ts for the browser (`platform: 'browser'`, minified ES module), applying
 * package.json's `browser` field to the sources (it swaps the transport's loader of the
 * node-only file store for a stub), and the page's static files are added as they are.
 *
 * `npm run build` runs it once (scripts/build-web.mjs writes dist/web/page/), so the
 * published package serves static files and never needs esbuild; a source checkout without
 * that build bundles at run time (esbuild is a devDependency).
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { PqbleError } from '../errors.js';
import { PAGE_STATIC_FILES, type PageFile, contentTypeOf } from './page-files.js';

/** The shape of esbuild's `build()` used here (esbuild is a devDependency, loaded on demand). */
interface Esbuild {
  build(options: Record<string, unknown>): Promise<{ outputFiles: { path: string; contents: Uint8Array }[] }>;
}

interface ResolveArgs {
  readonly path: string;
  readonly resolveDir: string;
}

async function loadEsbuild(): Promise<Esbuild> {
  try {
    return (await import('esbuild')) as unknown as Esbuild;
  } catch (err) {
    throw new PqbleError('PQBLE_ERR_UNSUPPORTED', 'the browser page is not built and esbuild is not installed: run npm run build in a source checkout', {
      cause: err,
    });
  }
}

/** The `browser` map of package.json, from built paths (./dist/x.js) to source paths (src/x.ts). */
async function browserSwaps(packageRoot: string): Promise<Map<string, string>> {
  const pkg = JSON.parse(await readFile(join(packageRoot, 'package.json'), 'utf8')) as { browser?: Record<string, string> };
  const toSource = (p: string): string => join(packageRoot, p.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
  return new Map(Object.entries(pkg.browser ?? {}).map(([from, to]) => [toSource(from), toSource(to)]));
}

/**
 * Bundles the page from the sources under `packageRoot` (a checkout: package.json and src/)
 * and returns its files: index.html, style.css and app.js.
 */
export async function bundleWebPage(packageRoot: string): Promise<PageFile[]> {
  const esbuild = await loadEsbuild();
  const swaps = await browserSwaps(packageRoot);
  const pageDir = join(packageRoot, 'src/web/page');
  const result = await esbuild.build({
    entryPoints: [join(pageDir, 'main.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    outfile: join(pageDir, 'app.js'),
    logLevel: 'silent',
    legalComments: 'none',
    plugins: [
      {
        name: 'pqble-browser-field',
        setup(b: { onResolve(options: { filter: RegExp }, fn: (args: ResolveArgs) => { path: string } | undefined): void }) {
          b.onResolve({ filter: /^\.\.?\// }, (args) => {
            const source = join(args.resolveDir, args.path).replace(/\.js$/, '.ts');
            const swapped = swaps.get(source);
            return swapped === undefined ? undefined : { path: swapped };
          });
        },
      },
    ],
  });
  const files: PageFile[] = [];
  for (const name of PAGE_STATIC_FILES) {
    files.push({ name, contentType: contentTypeOf(name), body: new Uint8Array(await readFile(join(pageDir, name))) });
  }
  for (const out of result.outputFiles) {
    const name = relative(pageDir, out.path);
    if (dirname(name) !== '.') throw new PqbleError('PQBLE_ERR_INTERNAL', `esbuild wrote an unexpected file ${name}`);
    files.push({ name, contentType: contentTypeOf(name), body: out.contents });
  }
  return files;
}
