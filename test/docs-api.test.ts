/**
 * docs/api.md and the exports agree: for every entry point of package.json, the names its
 * module exports (values and types, read by the TypeScript compiler) are exactly the names in
 * the first column of its table under "Every export, by entry point"; and every error class
 * in docs/errors.md is exported from the root.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { ROOT } from './cli/helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };
const apiMd = readFileSync(join(ROOT, 'docs/api.md'), 'utf8');

/** Entry point name (`pqble`, `pqble/node`, ...) -> its source file, from the exports' `types` targets. */
function entryPoints(): Map<string, string> {
  const out = new Map<string, string>();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    const types = target.types;
    assert.ok(types !== undefined, `${subpath} has a types condition`);
    out.set(subpath === '.' ? 'pqble' : `pqble/${subpath.slice(2)}`, join(ROOT, types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts')));
  }
  return out;
}

/** The names each source file exports, types included. */
function exportedNames(files: readonly string[]): Map<string, string[]> {
  const program = ts.createProgram([...files], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  });
  const checker = program.getTypeChecker();
  const out = new Map<string, string[]>();
  for (const file of files) {
    const source = program.getSourceFile(file);
    assert.ok(source !== undefined, `${file} is in the program`);
    const symbol = checker.getSymbolAtLocation(source);
    assert.ok(symbol !== undefined, `${file} is a module`);
    out.set(
      file,
      checker
        .getExportsOfModule(symbol)
        .map((s) => s.name)
        .sort(),
    );
  }
  return out;
}

/** Entry point -> the names in the first column of its table in the "Every export" section. */
function documentedNames(): Map<string, string[]> {
  const start = apiMd.indexOf('\n## Every export, by entry point');
  assert.ok(start >= 0, 'docs/api.md has an "Every export, by entry point" section');
  const end = apiMd.indexOf('\n## ', start + 1);
  const section = apiMd.slice(start, end < 0 ? undefined : end);
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of section.split('\n')) {
    const heading = /^### `([^`]+)`\s*$/.exec(line);
    if (heading !== null) {
      assert.ok(!out.has(heading[1]), `one table for ${heading[1]}`);
      current = [];
      out.set(heading[1], current);
      continue;
    }
    if (current === undefined || !line.startsWith('| `')) continue;
    const first = line.split('|')[1] ?? '';
    for (const m of first.matchAll(/`([^`]+)`/g)) current.push(m[1]);
  }
  for (const [name, names] of out) out.set(name, names.sort());
  return out;
}

describe('docs/api.md lists every export of every entry point, and nothing else', () => {
  const entries = entryPoints();
  const exported = exportedNames([...entries.values()]);
  const documented = documentedNames();

  it('has one table per entry point of package.json', () => {
    assert.deepEqual([...documented.keys()].sort(), [...entries.keys()].sort());
  });

  for (const [entry, file] of entries) {
    it(`${entry}: exported and documented names are the same`, () => {
      const names = exported.get(file) ?? [];
      const docs = documented.get(entry) ?? [];
      assert.ok(names.length > 0);
      const duplicates = docs.filter((n, i) => docs.indexOf(n) !== i);
      assert.deepEqual(duplicates, [], `${entry}: listed twice in docs/api.md`);
      assert.deepEqual(
        names.filter((n) => !docs.includes(n)),
        [],
        `${entry}: exported but not in docs/api.md`,
      );
      assert.deepEqual(
        docs.filter((n) => !names.includes(n)),
        [],
        `${entry}: in docs/api.md but not exported`,
      );
    });
  }

  it('every error class of docs/errors.md is exported from the root', () => {
    const errorsMd = readFileSync(join(ROOT, 'docs/errors.md'), 'utf8');
    const classes = new Set<string>();
    for (const line of errorsMd.split('\n')) {
      if (!line.startsWith('| `PQBLE_ERR_')) continue;
      for (const m of (line.split('|')[2] ?? '').matchAll(/`([A-Z][A-Za-z]*Error)`/g)) classes.add(m[1]);
    }
    assert.ok(classes.size >= 8, [...classes].join(', '));
    const root = exported.get(entries.get('pqble')!) ?? [];
    assert.deepEqual(
      [...classes].filter((c) => !root.includes(c)),
      [],
    );
  });
});
