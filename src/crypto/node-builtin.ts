/**
 * `node:crypto` without a static import: taken from `process.getBuiltinModule` (Node 20.16+,
 * 22.3+) when the first native primitive runs, so importing pqble loads no Node module and
 * the root bundles for a browser (docs/api.md "Entry points"). Outside Node every access
 * throws `PqbleError` `PQBLE_ERR_UNSUPPORTED`, and the feature probes report the native
 * providers unavailable, so {@link defaultCrypto} picks the noble one.
 *
 * @module
 */

import type * as NodeCrypto from 'node:crypto';
import { PqbleError } from '../errors.js';

interface MaybeNode {
  readonly process?: { readonly getBuiltinModule?: (id: string) => unknown };
}

let cached: typeof NodeCrypto | null | undefined;

/** `node:crypto`, or `undefined` where there is none (a browser, a worker without Node APIs). */
export function nodeCryptoModule(): typeof NodeCrypto | undefined {
  if (cached === undefined) {
    let mod: unknown;
    try {
      mod = (globalThis as MaybeNode).process?.getBuiltinModule?.('node:crypto');
    } catch {
      mod = undefined;
    }
    cached = mod !== null && typeof mod === 'object' ? (mod as typeof NodeCrypto) : null;
  }
  return cached ?? undefined;
}

/**
 * A stand-in for `node:crypto` whose every member is looked up on first use: the module
 * itself on Node, else a `PQBLE_ERR_UNSUPPORTED` error.
 */
export const lazyNodeCrypto: typeof NodeCrypto = new Proxy({} as typeof NodeCrypto, {
  get(_target, name) {
    const mod = nodeCryptoModule();
    if (mod === undefined) throw new PqbleError('PQBLE_ERR_UNSUPPORTED', 'node:crypto is not available here (not running on Node.js)');
    return (mod as unknown as Record<string | symbol, unknown>)[name];
  },
});
