/**
 * Review findings on the file store's lock (see the review report): a stale lock of a process
 * that had this pid is taken over; a second open in the same process is still refused.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileSessionStore } from '../../src/session/file/index.js';
import { CapturingLogger, tempDir } from '../transport/helpers.js';

describe('review: file store lock', () => {
  it('a lock left by a killed process that had the same pid (a restarted container: pid 1 again) is taken over', async () => {
    // docs (lock.ts header): "A lock whose process no longer runs on this host is stale and is
    // taken over". A container restarted after kill -9 runs node as the same pid (often 1) on
    // the same hostname: the lock names this very process, yet no store in it holds the lock.
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 's.sessions');
    try {
      const first = await FileSessionStore.open({ path, logger: new CapturingLogger() });
      await first.close();
      // What kill -9 leaves behind, written by "the previous run" with our pid and host.
      await writeFile(`${path}.lock`, `pqble-store-lock v1 ${process.pid} ${hostname().replace(/\s/g, '_') || 'localhost'}\n`, { mode: 0o600 });
      const again = await FileSessionStore.open({ path, logger: new CapturingLogger() });
      await again.close();
    } finally {
      await cleanup();
    }
  });

  it('a second open in the same process is still refused', async () => {
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 's.sessions');
    try {
      const first = await FileSessionStore.open({ path, logger: new CapturingLogger() });
      try {
        await assert.rejects(FileSessionStore.open({ path, logger: new CapturingLogger() }), { code: 'PQBLE_ERR_STORE_LOCKED' });
      } finally {
        await first.close();
      }
    } finally {
      await cleanup();
    }
  });
});
