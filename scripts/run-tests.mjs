#!/usr/bin/env node
// Runs every test/**/*.test.ts file with Node's test runner (through tsx).
// Node 20 has no glob support in `--test`, so the files are listed here.
// Extra arguments are passed through (for example a file path or `--test-name-pattern`).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const files = args.some((a) => a.endsWith('.ts')) ? [] : collect('test');
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...args, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
