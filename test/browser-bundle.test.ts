/**
 * `import 'pqble'` loads no Node.js module, so the root bundles for a browser: esbuild
 * (`platform: 'browser'`, as a web app's build would run it) bundles the sources of the root
 * and the built package as a user installs it. The only file the `browser` field of
 * package.json swaps is the transport's loader of the file store (its `import()` of the
 * node-only store); node-only exports live at `pqble/node`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile, type Plugin } from 'esbuild';
import { describe, it } from 'node:test';
import { ROOT, requireBuilt } from './cli/helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { browser: Record<string, string> };

/** src/ files swapped for the browser: the dist/ mapping of package.json, read back as sources. */
const swaps = new Map(
  Object.entries(pkg.browser).map(([from, to]) => [
    join(ROOT, from.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')),
    join(ROOT, to.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')),
  ]),
);

/** Applies package.json's `browser` field to the sources (tsx and esbuild see .ts files). */
const browserField: Plugin = {
  name: 'browser-field-on-sources',
  setup(b) {
    b.onResolve({ filter: /file-store-loader\.js$/ }, (args) => {
      const source = join(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      return { path: swaps.get(source) ?? source };
    });
  },
};

function nodeImports(metafile: Metafile): string[] {
  return Object.entries(metafile.inputs).flatMap(([file, input]) => input.imports.filter((i) => i.path.startsWith('node:')).map((i) => `${file} -> ${i.path}`));
}

async function bundle(entry: { stdin: string } | { file: string }, plugins: Plugin[] = []): Promise<{ text: string; metafile: Metafile }> {
  const result = await build({
    ...('file' in entry ? { entryPoints: [entry.file] } : { stdin: { contents: entry.stdin, resolveDir: ROOT, loader: 'js' } }),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    minify: true,
    logLevel: 'silent',
    plugins,
  });
  return { text: result.outputFiles[0]?.text ?? '', metafile: result.metafile };
}

describe('browser bundle of the root', () => {
  it('the browser field swaps only the file-store loader, for a stub that exists', () => {
    assert.deepEqual(Object.keys(pkg.browser), ['./dist/transport/file-store-loader.js']);
    for (const stub of swaps.values()) assert.ok(readFileSync(stub, 'utf8').includes('PQBLE_ERR_UNSUPPORTED'));
  });

  it('src/index.ts bundles for the browser and reaches no node: module', async () => {
    const { metafile } = await bundle({ file: join(ROOT, 'src/index.ts') }, [browserField]);
    assert.deepEqual(nodeImports(metafile), []);
    const inputs = Object.keys(metafile.inputs);
    assert.ok(inputs.includes('src/transport/transport.ts'), 'the transport is in the bundle');
    assert.ok(!inputs.some((f) => f.startsWith('src/session/file') || f === 'src/identity/file.ts' || f === 'src/util/fs.ts'), inputs.join('\n'));
  });

  it('without the browser field the same bundle fails on the file store (the check can fail)', async () => {
    await assert.rejects(bundle({ file: join(ROOT, 'src/index.ts') }), /node:fs|node:path|node:crypto|node:os|node:zlib/);
  });

  it("the built package bundles for the browser through its exports (import 'pqble'), and pqble/node does not", async (t) => {
    requireBuilt();
    const { text, metafile } = await bundle({ stdin: "export * from 'pqble';" });
    assert.deepEqual(nodeImports(metafile), []);
    assert.ok(Object.keys(metafile.inputs).includes('dist/transport/file-store-loader.browser.js'));
    assert.match(text, /BleTransport/);
    t.diagnostic(`root bundle for the browser: ${text.length} bytes minified, ${gzipSync(text).length} bytes gzipped`);
    await assert.rejects(bundle({ stdin: "export * from 'pqble/node';" }), /node:/);
  });
});
