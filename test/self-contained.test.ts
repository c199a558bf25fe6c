/**
 * The repository stands alone: code, TSDoc, tests, scripts and docs cite only what ships
 * or is in the repository (docs/*.md and the sources), never design notes, style guides or
 * plans kept elsewhere (DESIGN.md, STYLE.md, spec/..., "plan Phase ...").
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { it } from 'node:test';
import { ROOT } from './cli/helpers.js';

const DIRS = ['src', 'test', 'docs', 'bench', 'scripts', '.ci'];
const FILES = ['README.md', 'package.json'];
const TEXT = /\.(ts|mts|mjs|js|md|json|sh)$|^run$/;

/** Citations of documents that are not in the repository. */
const CITATION = /(?<![\w/])(DESIGN|STYLE)\.md\b|(?<![\w/])spec\/[\w.-]|\b[Ss]pec [Pp]hase\b|\bplan [Pp]hase\b/;

function files(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.tmp')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (TEXT.test(name)) out.push(path);
  }
  return out;
}

it('no file cites DESIGN.md, STYLE.md, spec/... or a plan phase', () => {
  const checked = [...DIRS.flatMap((d) => files(join(ROOT, d))), ...FILES.map((f) => join(ROOT, f))];
  assert.ok(checked.length > 100, `only ${checked.length} files found`);
  const self = relative(ROOT, new URL(import.meta.url).pathname);
  const hits: string[] = [];
  for (const path of checked) {
    const rel = relative(ROOT, path);
    if (rel === self) continue; // this file names the patterns it looks for
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (CITATION.test(line)) hits.push(`${rel}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
  }
  assert.deepEqual(hits, []);
});

it('the pattern catches each kind of citation (the check can fail)', () => {
  for (const line of ['see DESIGN.md "Resumption"', '(STYLE.md rule 5)', 'spec/phase-3.3-ble-session-caching.md', 'plan Phase 3.2'])
    assert.match(line, CITATION);
  for (const line of ['docs/design.md', 'the specification of BLE', 'docs/store.md "The store contract"']) assert.doesNotMatch(line, CITATION);
});
