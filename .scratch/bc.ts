import { runCacheBench } from '../src/bench/cache.ts';
const r = await runCacheBench({ entries: Number(process.argv[2] ?? 10000), onProgress: (l) => console.error(l) });
console.log(JSON.stringify(r, null, 1));
