// The dist/ check of helpers.ts (distProblem): tests of the built output fail with one clear
// message telling to run `npm run build` when dist/ is missing, older than src/, lacks a
// compiled source, or holds the output of a source that is gone; a fresh build passes. And the
// console capture of runInProcess, which makes a library's console chatter show in the output.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { captureConsole, distProblem, tempDir } from './helpers.js';

const tmp = tempDir();
after(() => tmp.remove());

function file(path: string, at: number): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '');
  utimesSync(path, at / 1000, at / 1000);
}

/** A tree with src/cli/main.ts and src/a.ts built at t=2000 s; sources written at t=1000 s. */
function tree(name: string): string {
  const root = join(tmp.dir, name);
  for (const f of ['cli/main', 'a']) file(join(root, 'src', `${f}.ts`), 1_000_000);
  for (const f of ['cli/main', 'a']) file(join(root, 'dist', `${f}.js`), 2_000_000);
  file(join(root, 'src/web/page/main.ts'), 3_000_000); // the page bundle is left out
  return root;
}

describe('distProblem', () => {
  it('passes a fresh build', () => {
    assert.equal(distProblem(tree('fresh')), undefined);
  });

  it('names what is wrong and always says to run npm run build', () => {
    const missing = tree('missing');
    rmSync(join(missing, 'dist'), { recursive: true });
    const older = tree('older');
    file(join(older, 'src/a.ts'), 3_000_000);
    const added = tree('added');
    file(join(added, 'src/b.ts'), 1_000_000);
    const gone = tree('gone');
    rmSync(join(gone, 'src/a.ts'));
    const cases: [string, RegExp][] = [
      [missing, /^dist\/ is not built \(no dist\/cli\/main\.js\)/],
      [older, /\(src\/a\.ts changed after the last build\)/],
      [added, /\(src\/b\.ts is not built\)/],
      [gone, /\(dist\/a\.js has no source any more\)/],
    ];
    for (const [root, message] of cases) {
      const problem = distProblem(root);
      assert.ok(problem !== undefined, root);
      assert.match(problem, message);
      assert.ok(problem.endsWith(': run `npm run build` first'), problem);
      assert.ok(!problem.includes('\n'));
    }
  });
});

describe('captureConsole', () => {
  it('sends console.log/info/debug to stdout and warn/error to stderr, then puts console back', () => {
    const out: string[] = [];
    const err: string[] = [];
    const log = console.log;
    const restore = captureConsole({ write: (t: string) => out.push(t) }, { write: (t: string) => err.push(t) });
    try {
      console.log('adapter %s', 'warning', { state: 'poweredOff' });
      console.info('info');
      console.error('bad');
      console.warn('careful');
    } finally {
      restore();
    }
    assert.equal(console.log, log);
    assert.deepEqual(out, ["adapter warning { state: 'poweredOff' }\n", 'info\n']);
    assert.deepEqual(err, ['bad\n', 'careful\n']);
  });
});
