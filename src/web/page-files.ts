/**
 * The browser demo's files (docs/web.md "How the page is built"): which files the page is
 * made of, their content types, and reading a built copy from a folder.
 *
 * @module
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PqbleError } from '../errors.js';

/** One file of the page. */
export interface PageFile {
  /** File name, served at `/<name>` (`index.html` also at `/`). */
  readonly name: string;
  /** Its `Content-Type`. */
  readonly contentType: string;
  /** Its bytes. */
  readonly body: Uint8Array;
}

/** The page's static files, copied as they are from src/web/page/. */
export const PAGE_STATIC_FILES: readonly string[] = ['index.html', 'style.css'];
/** Every file of a built page: the static files and the bundle. */
const PAGE_FILES: readonly string[] = [...PAGE_STATIC_FILES, 'app.js'];

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

/** The `Content-Type` of a page file, by its extension. */
export function contentTypeOf(name: string): string {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  return TYPES[ext] ?? 'application/octet-stream';
}

/** Reads a built page (every name in {@link PAGE_FILES}) from `dir`. */
export async function readPageFiles(dir: string): Promise<PageFile[]> {
  const files: PageFile[] = [];
  for (const name of PAGE_FILES) {
    let body: Uint8Array;
    try {
      body = new Uint8Array(await readFile(join(dir, name)));
    } catch (err) {
      throw new PqbleError('PQBLE_ERR_UNSUPPORTED', `the browser page is incomplete: ${name} is missing in ${dir}`, { cause: err });
    }
    files.push({ name, contentType: contentTypeOf(name), body });
  }
  return files;
}
