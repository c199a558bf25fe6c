/**
 * `npm run bench:redis-capacity`: memory per session of the Redis fleet store
 * (docs/fleet.md "Capacity"). Puts N sessions (default 1,000,000) through
 * `RedisSessionStore.put`, many in flight at once (ioredis pipelines them on one
 * connection), and reads `INFO memory` before and after.
 *
 * Options: `--sessions N`, `--redis URL` (default: a throwaway local redis-server),
 * `--in-flight N` (default 512), `--json`.
 */
import { Redis } from 'ioredis';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import { silentLogger } from '../../src/logger.js';
import { RedisSessionStore } from '../../src/session/redis/index.js';
import type { StoredSession } from '../../src/session/store.js';
import { startLocalRedis, type LocalRedis } from './local-server.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function count(name: string, fallback: number): number {
  const v = arg(name);
  if (v === undefined) return fallback;
  const n = Number(v.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive whole number`);
  return n;
}

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const m = /used_memory:(\d+)/.exec(info);
  if (m === null) throw new Error('INFO memory has no used_memory');
  return Number(m[1]);
}

const sessions = count('--sessions', 1_000_000);
const inFlight = count('--in-flight', 512);
const json = process.argv.includes('--json');
let local: LocalRedis | undefined;
const url = arg('--redis') ?? (local = await startLocalRedis()).url;
const namespace = `cap${bytesToHex(randomBytes(4))}`;
const raw = new Redis(url);
const store = await RedisSessionStore.open({
  url,
  storageKey: { id: 1, key: randomBytes(32) },
  blindingKey: randomBytes(32),
  namespace,
  maxSessions: Math.max(sessions, 1),
  timeoutMs: 30_000,
  logger: silentLogger,
});
try {
  const before = await usedMemory(raw);
  const now = Date.now();
  const t0 = performance.now();
  let next = 0;
  let lastReport = t0;
  const one = (): StoredSession => ({
    peerFingerprint: bytesToHex(randomBytes(32)),
    deviceId: bytesToHex(randomBytes(6)),
    establishedMs: now - 1000,
    lastActiveMs: now - 1000 + (next % 1000),
    outbound: randomBytes(32),
    inbound: { secret: randomBytes(32), ticketId: randomBytes(16) },
  });
  const worker = async (): Promise<void> => {
    while (next < sessions) {
      next++;
      await store.put(one());
      const t = performance.now();
      if (!json && t - lastReport > 5000) {
        lastReport = t;
        process.stderr.write(`  ${next.toLocaleString('en')} / ${sessions.toLocaleString('en')} puts\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, sessions) }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const after = await usedMemory(raw);
  const stored = await store.size();
  // What one session's keys and values hold (the payload), from a sample of entries.
  const prefix = `{${namespace}}:`;
  const sample = (await raw.zrangeBuffer(`${prefix}lru`, '0', '99')).slice(0, 100);
  let payload = 0;
  for (const m of sample) {
    const entryKey = Buffer.concat([Buffer.from(`${prefix}e:`), m]);
    const v = (await raw.getBuffer(entryKey))!;
    payload += entryKey.length + v.length; // entry
    payload += 2 * (prefix.length + 2 + 16 + 16); // ticket and device pointers
    payload += 2 * m.length + 2 * 8; // members and scores of the two sorted sets
  }
  const result = {
    sessions: stored,
    usedMemoryBeforeBytes: before,
    usedMemoryAfterBytes: after,
    bytesPerSession: Math.round((after - before) / stored),
    payloadBytesPerSession: Math.round(payload / sample.length),
    putsPerSecond: Math.round(sessions / seconds),
    seconds: Math.round(seconds * 10) / 10,
  };
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    process.stdout.write(
      [
        `Redis fleet store capacity, ${result.sessions.toLocaleString('en')} sessions (redis ${(await raw.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?'})`,
        `  Redis memory per session   ${result.bytesPerSession} B   (used_memory ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB)`,
        `  payload per session        ${result.payloadBytesPerSession} B   (key names + values + sorted-set members; the rest is Redis overhead)`,
        `  puts                       ${result.putsPerSecond.toLocaleString('en')} /s over ${result.seconds} s, ${inFlight} in flight`,
        '',
      ].join('\n'),
    );
  }
} finally {
  await store.close();
  raw.disconnect();
  await local?.stop();
}
