/**
 * Per-primitive timings behind the native backend's choices (docs/crypto.md "Which backend
 * runs what"): every primitive pqble uses, at the sizes the handshake, the resumption and the
 * record layer use, through noble, through `node:crypto` directly, and through `nodeCrypto`
 * (the choice). One run, interleaved rounds, median per figure, microseconds per call.
 *
 * Then whole connections on the simulated radio, both backends in the same run: the setup
 * CPU per side (the transport's `setupCpuMs`, as in `pqble bench`) of full handshakes and of
 * resumed reconnects, each backend's rounds interleaved with the other's, after one warm-up
 * round, median per figure. (`pqble bench` measures one full handshake per run, the first in
 * its process, so its figure includes one-off warm-up costs.)
 *
 *   node --import tsx scripts/bench-crypto.ts [--json] [--rounds N]   # on Node 24 for the native columns
 *
 * Where this Node has no native ML-KEM / ML-DSA the native columns are empty.
 *
 * @module
 */

import * as nc from 'node:crypto';
import type { KeyObject, PrivateKeyInput, PublicKeyInput } from 'node:crypto';
import { nobleCrypto, nodeCrypto, nodeCryptoSupport, type CryptoProvider } from '../src/crypto/index.js';
import { measureConnection } from '../src/demo/scenario.js';
import { generateIdentity } from '../src/identity/index.js';
import { silentLogger } from '../src/logger.js';
import { SimulatedRadio } from '../src/radio/index.js';
import { BleTransport } from '../src/transport/index.js';

interface Row {
  readonly name: string;
  readonly noble: () => unknown;
  readonly native?: () => unknown;
  readonly chosen?: () => unknown;
}

const native = nodeCryptoSupport().available;
const api = nc as unknown as { encapsulate: (k: KeyObject) => unknown; decapsulate: (k: KeyObject, ct: Uint8Array) => unknown };
const priv = (key: Uint8Array, format: string, type: string): KeyObject =>
  nc.createPrivateKey({ key, format, asymmetricKeyType: type } as unknown as PrivateKeyInput);
const pub = (key: Uint8Array, type: string): KeyObject =>
  nc.createPublicKey({ key, format: 'raw-public', asymmetricKeyType: type } as unknown as PublicKeyInput);

function seal(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = nc.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  const head = c.update(pt);
  const tail = c.final();
  const out = new Uint8Array(head.length + tail.length + 16);
  out.set(head);
  out.set(tail, head.length);
  out.set(c.getAuthTag(), head.length + tail.length);
  return out;
}

function rows(): Row[] {
  const n = nobleCrypto;
  const key = n.randomBytes(32);
  const nonce = n.randomBytes(12);
  const aad = n.randomBytes(32);
  const dsaSeed = n.randomBytes(32);
  const kemSeed = n.randomBytes(64);
  const dsa = n.sigKeygen(dsaSeed);
  const kem = n.kemKeygen(kemSeed);
  // Keys imported once: the node:crypto column is the operation alone, nodeCrypto's includes its imports.
  const dsaKey = native ? priv(dsaSeed, 'raw-seed', 'ml-dsa-65') : undefined;
  const kemKey = native ? priv(kemSeed, 'raw-seed', 'ml-kem-768') : undefined;
  const msg = n.randomBytes(61);
  const sig = n.sign(msg, dsa.secretKey);
  const ct = n.kemEncapsulate(kem.publicKey).cipherText;
  const xs = n.randomBytes(32);
  const xp = n.x25519Keygen(n.randomBytes(32)).publicKey;
  const out: Row[] = [];
  const ifNative = (fn: () => unknown): { native?: () => unknown; chosen?: () => unknown } => (native ? { native: fn } : {});
  const chosen = (fn: (c: CryptoProvider) => unknown): { chosen?: () => unknown } => (native ? { chosen: () => fn(nodeCrypto) } : {});
  out.push({
    name: 'ML-DSA-65 sign',
    noble: () => n.sign(msg, dsa.secretKey),
    ...ifNative(() => nc.sign(null, msg, dsaKey!)),
    ...chosen((c) => c.sign(msg, dsa.secretKey)),
  });
  out.push({
    name: 'ML-DSA-65 verify',
    noble: () => n.verify(sig, msg, dsa.publicKey),
    ...ifNative(() => nc.verify(null, msg, pub(dsa.publicKey, 'ml-dsa-65'), sig)),
    ...chosen((c) => c.verify(sig, msg, dsa.publicKey)),
  });
  out.push({
    name: 'ML-DSA-65 keygen from seed',
    noble: () => n.sigKeygen(key),
    ...ifNative(() => priv(key, 'raw-seed', 'ml-dsa-65')),
    ...chosen((c) => c.sigKeygen(key)),
  });
  out.push({
    name: 'ML-KEM-768 keygen from seed',
    noble: () => n.kemKeygen(kemSeed),
    ...ifNative(() => priv(kemSeed, 'raw-seed', 'ml-kem-768')),
    ...chosen((c) => c.kemKeygen(kemSeed)),
  });
  out.push({
    name: 'ML-KEM-768 encapsulate',
    noble: () => n.kemEncapsulate(kem.publicKey),
    ...ifNative(() => api.encapsulate(pub(kem.publicKey, 'ml-kem-768'))),
    ...chosen((c) => c.kemEncapsulate(kem.publicKey)),
  });
  out.push({
    name: 'ML-KEM-768 decapsulate',
    noble: () => n.kemDecapsulate(ct, kem.secretKey),
    ...ifNative(() => api.decapsulate(kemKey!, ct)),
    ...chosen((c) => c.kemDecapsulate(ct, kem.secretKey)),
  });
  out.push({
    name: 'X25519 keygen',
    noble: () => n.x25519Keygen(xs),
    ...ifNative(() => nc.createPublicKey(priv(xs, 'raw-private', 'x25519'))),
    ...chosen((c) => c.x25519Keygen(xs)),
  });
  out.push({
    name: 'X25519 shared secret',
    noble: () => n.x25519(xs, xp),
    ...ifNative(() => nc.diffieHellman({ privateKey: priv(xs, 'raw-private', 'x25519'), publicKey: pub(xp, 'x25519') })),
    ...chosen((c) => c.x25519(xs, xp)),
  });
  for (const size of [32, 256, 1024, 1536, 2048, 4096]) {
    const pt = n.randomBytes(size);
    out.push({
      name: `ChaCha20-Poly1305 seal ${size} B`,
      noble: () => n.aeadSeal(key, nonce, pt, aad),
      native: () => seal(key, nonce, pt, aad),
      chosen: () => nodeCrypto.aeadSeal(key, nonce, pt, aad),
    });
  }
  out.push({
    name: 'HMAC-SHA-256 (32 B key, 61 B)',
    noble: () => n.hmac(key, msg),
    native: () => nc.createHmac('sha256', key).update(msg).digest(),
    chosen: () => nodeCrypto.hmac(key, msg),
  });
  out.push({
    name: 'HKDF-SHA-256 extract',
    noble: () => n.hkdfExtract(key, aad),
    native: () => nc.createHmac('sha256', key).update(aad).digest(),
    chosen: () => nodeCrypto.hkdfExtract(key, aad),
  });
  out.push({
    name: 'HKDF-SHA-256 expand 32 B',
    noble: () => n.hkdfExpand(key, msg, 32),
    native: () => nc.hkdfSync('sha256', key, new Uint8Array(0), msg, 32),
    chosen: () => nodeCrypto.hkdfExpand(key, msg, 32),
  });
  for (const size of [64, 2048, 13_000]) {
    const data = n.randomBytes(size);
    out.push({
      name: `SHA-256 ${size} B`,
      noble: () => n.sha256(data),
      native: () => nc.hash('sha256', data, 'buffer'),
      chosen: () => nodeCrypto.sha256(data),
    });
  }
  out.push({
    name: 'random bytes 16 B',
    noble: () => n.randomBytes(16),
    native: () => nc.randomFillSync(new Uint8Array(16)),
    chosen: () => nodeCrypto.randomBytes(16),
  });
  return out;
}

/** Microseconds per call: median over `rounds` rounds of ~`ms` each. */
function measure(fn: () => unknown, ms: number): number {
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < ms) {
    fn();
    calls++;
  }
  return ((performance.now() - t0) * 1000) / calls;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const table = rows();
const rounds = 7;
const samples = table.map(() => ({ noble: [] as number[], native: [] as number[], chosen: [] as number[] }));
for (const row of table) {
  // Warm up (JIT, OpenSSL provider caches).
  for (let i = 0; i < 20; i++) {
    row.noble();
    row.native?.();
    row.chosen?.();
  }
}
for (let r = 0; r < rounds; r++) {
  table.forEach((row, i) => {
    samples[i].noble.push(measure(row.noble, 40));
    if (row.native !== undefined) samples[i].native.push(measure(row.native, 40));
    if (row.chosen !== undefined) samples[i].chosen.push(measure(row.chosen, 40));
  });
}
const results = table.map((row, i) => ({
  primitive: row.name,
  nobleUs: median(samples[i].noble),
  nodeCryptoUs: row.native === undefined ? undefined : median(samples[i].native),
  chosenUs: row.chosen === undefined ? undefined : median(samples[i].chosen),
}));

/** Setup CPU ms per side: `full` handshakes and `resumed` reconnects, per backend. */
interface ConnectionSamples {
  fullC: number[];
  fullP: number[];
  resumedC: number[];
  resumedP: number[];
}

async function connectionRound(
  crypto: CryptoProvider,
  ids: { central: ReturnType<typeof generateIdentity>; peripheral: ReturnType<typeof generateIdentity> },
  into: ConnectionSamples | undefined,
): Promise<void> {
  const radio = new SimulatedRadio({ seed: 11 });
  const central = await BleTransport.create({ identity: ids.central, crypto, link: radio.createDevice({ deviceId: 'c0ffee000001' }), logger: silentLogger });
  const peripheral = await BleTransport.create({
    identity: ids.peripheral,
    crypto,
    link: radio.createDevice({ deviceId: '5e4502000002' }),
    logger: silentLogger,
  });
  try {
    const full = await measureConnection(central, peripheral, '5e4502000002', radio.clock);
    if (full.connectionType !== 'full-handshake') throw new Error(`expected a full handshake, got ${full.connectionType}`);
    into?.fullC.push(full.cpuMsCentral);
    into?.fullP.push(full.cpuMsPeripheral);
    for (let i = 0; i < 5; i++) {
      const resumed = await measureConnection(central, peripheral, '5e4502000002', radio.clock);
      if (resumed.connectionType !== 'resumed') throw new Error(`expected a resumption, got ${resumed.connectionType}`);
      into?.resumedC.push(resumed.cpuMsCentral);
      into?.resumedP.push(resumed.cpuMsPeripheral);
    }
  } finally {
    await central.close();
    await peripheral.close();
    await radio.close();
  }
}

const roundsArg = process.argv.indexOf('--rounds');
const connectionRounds = roundsArg === -1 ? 15 : Number(process.argv[roundsArg + 1]);
if (!Number.isInteger(connectionRounds) || connectionRounds < 1 || connectionRounds > 1000) throw new RangeError('--rounds must be an integer from 1 to 1000');
const backends = native ? [nobleCrypto, nodeCrypto] : [nobleCrypto];
const connectionSamples = new Map<string, ConnectionSamples>(backends.map((b) => [b.name, { fullC: [], fullP: [], resumedC: [], resumedP: [] }]));
const identities = backends.map((b) => ({ central: generateIdentity({ crypto: b }), peripheral: generateIdentity({ crypto: b }) }));
for (let r = -1; r < connectionRounds; r++) {
  const order = r % 2 === 0 ? [0, 1] : [1, 0];
  for (const i of order) {
    const b = backends[i];
    if (b !== undefined) await connectionRound(b, identities[i], r < 0 ? undefined : connectionSamples.get(b.name));
  }
}
const connections = backends.map((b) => {
  const s = connectionSamples.get(b.name)!;
  return {
    backend: b.name,
    fullCpuMsCentral: median(s.fullC),
    fullCpuMsPeripheral: median(s.fullP),
    resumedCpuMsCentral: median(s.resumedC),
    resumedCpuMsPeripheral: median(s.resumedP),
  };
});

if (process.argv.includes('--json')) {
  process.stdout.write(
    `${JSON.stringify({ node: process.version, openssl: process.versions.openssl, nativeAvailable: native, rounds, results, connectionRounds, connections }, null, 2)}\n`,
  );
} else {
  const f = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(1));
  process.stdout.write(`Node ${process.version}, OpenSSL ${process.versions.openssl ?? '?'}; median of ${rounds} rounds, µs per call\n`);
  process.stdout.write(`${'primitive'.padEnd(34)}${'noble'.padStart(10)}${'node:crypto'.padStart(13)}${'nodeCrypto'.padStart(12)}\n`);
  for (const r of results)
    process.stdout.write(`${r.primitive.padEnd(34)}${f(r.nobleUs).padStart(10)}${f(r.nodeCryptoUs).padStart(13)}${f(r.chosenUs).padStart(12)}\n`);
  process.stdout.write(
    `\nConnection setup CPU per side, ms (median of ${connectionRounds} full handshakes and ${connectionRounds * 5} resumptions per backend, interleaved)\n`,
  );
  process.stdout.write(`${'backend'.padEnd(10)}${'full C'.padStart(10)}${'full P'.padStart(10)}${'resumed C'.padStart(12)}${'resumed P'.padStart(12)}\n`);
  const g = (v: number): string => v.toFixed(3);
  for (const c of connections)
    process.stdout.write(
      `${c.backend.padEnd(10)}${g(c.fullCpuMsCentral).padStart(10)}${g(c.fullCpuMsPeripheral).padStart(10)}${g(c.resumedCpuMsCentral).padStart(12)}${g(c.resumedCpuMsPeripheral).padStart(12)}\n`,
    );
  if (connections.length === 2) {
    const [a, b] = connections;
    process.stdout.write(
      `noble / node: full ${(a.fullCpuMsCentral / b.fullCpuMsCentral).toFixed(1)}x central, ${(a.fullCpuMsPeripheral / b.fullCpuMsPeripheral).toFixed(1)}x peripheral; resumed ${(a.resumedCpuMsCentral / b.resumedCpuMsCentral).toFixed(2)}x, ${(a.resumedCpuMsPeripheral / b.resumedCpuMsPeripheral).toFixed(2)}x\n`,
    );
  }
}
