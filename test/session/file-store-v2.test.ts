// The version-2 file store (docs/store.md) against the SessionStore compliance suite, plus
// its own rules: locking, damage, crash safety, compaction, migration.
import { join } from 'node:path';
import { FileSessionStore } from '../../src/session/file/index.js';
import { runStoreCompliance } from './store-compliance.js';
import { capturingLogger, tempDir } from './helpers.js';

runStoreCompliance('FileSessionStore (v2)', async () => {
  const { dir, cleanup } = await tempDir();
  const path = join(dir, 'sessions.db');
  const logger = capturingLogger();
  const store = await FileSessionStore.open({ path, logger });
  return { store, reopen: () => FileSessionStore.open({ path, logger }), cleanup };
});
