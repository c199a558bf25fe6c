/**
 * One owner per store file (docs/store.md "Locking"): `<path>.lock`, created exclusively
 * (`O_CREAT | O_EXCL`, mode 0600), holds `pqble-store-lock v1 <pid> <hostname>\n`. A lock
 * whose process no longer runs on this host is stale and is taken over; any other existing
 * lock (a live process, this process included, or another host) refuses the open with
 * `PQBLE_ERR_STORE_LOCKED`. The lock is removed on close; a killed owner leaves it behind,
 * and the next open takes it over.
 *
 * @module
 */

import { hostname } from 'node:os';
import { open, readFile, unlink } from 'node:fs/promises';
import { StoreError } from '../../errors.js';
import { errnoCode } from '../../util/fs.js';

const PREFIX = 'pqble-store-lock v1 ';
const MAX_TRIES = 5;

/** A held lock. */
export interface StoreLock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file. Idempotent. */
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** Parses a lock file's text; `undefined` if it is not one (then it is treated as stale once it is old enough to not be half-written). */
function parseLockText(text: string): { pid: number; host: string } | undefined {
  if (!text.startsWith(PREFIX) || !text.endsWith('\n')) return undefined;
  const [pidText, host, ...rest] = text.slice(PREFIX.length, -1).split(' ');
  if (rest.length > 0 || host === undefined || host.length === 0 || !/^[1-9][0-9]{0,9}$/.test(pidText)) return undefined;
  return { pid: Number(pidText), host };
}

/**
 * Takes the lock of `storePath`.
 * @throws StoreError `PQBLE_ERR_STORE_LOCKED` if another live process (or another store in this one) holds it; `PQBLE_ERR_STORE_IO` if it cannot be created
 */
/** Lock files this process holds now (a lock naming our pid is stale unless it is in here). */
const heldHere = new Set<string>();

export async function acquireStoreLock(storePath: string): Promise<StoreLock> {
  const path = `${storePath}.lock`;
  const me = `${PREFIX}${process.pid} ${hostname().replace(/\s/g, '_') || 'localhost'}\n`;
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600);
      try {
        await fh.writeFile(me);
        await fh.sync();
      } finally {
        await fh.close();
      }
      let released = false;
      heldHere.add(path);
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          heldHere.delete(path);
          await unlink(path).catch(() => undefined);
        },
      };
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') {
        throw new StoreError('PQBLE_ERR_STORE_IO', `cannot create the lock file ${path} (${errnoCode(err) ?? 'unknown error'})`, { cause: err });
      }
    }
    let text: string;
    try {
      text = await readFile(path, 'latin1');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw new StoreError('PQBLE_ERR_STORE_IO', `cannot read the lock file ${path} (${errnoCode(err) ?? 'unknown error'})`, { cause: err });
    }
    const owner = parseLockText(text);
    const myHost = hostname().replace(/\s/g, '_') || 'localhost';
    // Our own pid is alive by definition: such a lock is ours only if this process took it
    // (a restarted container runs as pid 1 again and finds its predecessor's lock).
    const ownPid = owner !== undefined && owner.pid === process.pid && owner.host === myHost;
    if (owner !== undefined && (owner.host !== myHost || (ownPid ? heldHere.has(path) : isAlive(owner.pid)))) {
      const who = ownPid ? 'another store in this process' : `process ${owner.pid} on ${owner.host}`;
      throw new StoreError('PQBLE_ERR_STORE_LOCKED', `the session store ${storePath} is in use by ${who} (lock file ${path})`);
    }
    if (owner === undefined && attempt < 2) {
      // Possibly being written right now: look again shortly.
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    // Stale: its process is gone (or the file is not a lock). Take it over.
    await unlink(path).catch(() => undefined);
  }
  throw new StoreError('PQBLE_ERR_STORE_LOCKED', `the session store ${storePath} is locked (lock file ${path} keeps reappearing)`);
}
