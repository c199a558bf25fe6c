import { join } from 'node:path';
import { FileSessionStore } from '../src/session/file/index.ts';
const path = process.argv[2];
const t0 = performance.now();
const s = await FileSessionStore.open({ path, storageKey: new Uint8Array(32), logger: { warn() {} } });
console.log('size', await s.size(), Math.round(performance.now() - t0), 'ms');
await s.close();
