/**
 * `npx tsx bench/resume-cpu.ts`: CPU per side of one whole resumption (docs/resumption.md
 * "Cost"), version 2 in both modes beside version 1, from one run. Initiator: construct,
 * `request()`, `readReply(accept)`. Responder: `decodeResumeRequestV2`, `acceptResumeV2`,
 * `finished.verify`. Each sample is the `process.cpuUsage()` user+system time of one side
 * over `--iterations` resumptions (default 300), divided by the count; the figure is the
 * median of `--samples` samples (default 9) after one warm-up sample. "native X25519" is
 * `nobleCrypto` with X25519 from `node:crypto` (OpenSSL), what a native backend gives.
 */
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { nobleCrypto, type CryptoProvider } from '../src/crypto/index.js';
import { ResumeInitiator, acceptResumeV2, decodeResumeRequestV2, deriveDirectionSecret, type ResumeMode } from '../src/resumption/index.js';
import { acceptResume, completeResume, createResumeToken, decodeResumeRequest, encodeResumeRequest } from './baseline/resumption-v1.js';

// Raw keys enter node:crypto as JWK (a PKCS#8 DER import costs ~8x more CPU); Node derives
// the public half from `d` and ignores the empty `x`.
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const privateKey = (sk: Uint8Array) => createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64(sk), x: '' }, format: 'jwk' });

/** nobleCrypto with X25519 done by node:crypto (OpenSSL). */
const nativeX25519: CryptoProvider = {
  ...nobleCrypto,
  name: 'noble+node:crypto X25519',
  x25519Keygen(secretKey) {
    const sk = secretKey ?? nobleCrypto.randomBytes(32);
    const x = createPublicKey(privateKey(sk)).export({ format: 'jwk' }).x;
    if (typeof x !== 'string') throw new Error('no public key');
    return { secretKey: sk, publicKey: new Uint8Array(Buffer.from(x, 'base64url')) };
  },
  x25519(secretKey, publicKey) {
    const pub = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64(publicKey) }, format: 'jwk' });
    return new Uint8Array(diffieHellman({ privateKey: privateKey(secretKey), publicKey: pub }));
  },
};

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at < 0 ? NaN : Number(process.argv[at + 1]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const ITERATIONS = arg('iterations', 300);
const SAMPLES = Math.max(5, arg('samples', 9));
const FP_I = new Uint8Array(32).fill(0xa1);
const FP_R = new Uint8Array(32).fill(0xb2);
const RS = deriveDirectionSecret(new Uint8Array(32).fill(7), FP_I, FP_R);

function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

/** One sample: per-resumption CPU ms of each side. */
type Sampler = () => { initiator: number; responder: number };

function v2Sampler(mode: ResumeMode, crypto: CryptoProvider): Sampler {
  return () => {
    let initiator = 0;
    let responder = 0;
    for (let n = 0; n < ITERATIONS; n++) {
      let t = process.cpuUsage();
      const i = new ResumeInitiator({ secret: RS, initiatorFingerprint: FP_I, responderFingerprint: FP_R, mode, crypto });
      const request = i.request();
      initiator += cpuMs(t);
      t = process.cpuUsage();
      decodeResumeRequestV2(request);
      const accepted = acceptResumeV2({ secret: RS, initiatorFingerprint: FP_I, responderFingerprint: FP_R, request, crypto });
      responder += cpuMs(t);
      t = process.cpuUsage();
      const reply = i.readReply(accepted.message);
      initiator += cpuMs(t);
      if (reply.kind !== 'accept') throw new Error('rejected');
      t = process.cpuUsage();
      accepted.finished.verify(reply.finished);
      responder += cpuMs(t);
    }
    return { initiator: initiator / ITERATIONS, responder: responder / ITERATIONS };
  };
}

const v1Sampler: Sampler = () => {
  let initiator = 0;
  let responder = 0;
  for (let n = 0; n < ITERATIONS; n++) {
    let t = process.cpuUsage();
    const request = encodeResumeRequest(createResumeToken(RS));
    initiator += cpuMs(t);
    t = process.cpuUsage();
    decodeResumeRequest(request);
    const accepted = acceptResume(RS, request);
    responder += cpuMs(t);
    t = process.cpuUsage();
    completeResume(RS, request, accepted.message);
    initiator += cpuMs(t);
  }
  return { initiator: initiator / ITERATIONS, responder: responder / ITERATIONS };
};

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const cases: [string, string, Sampler][] = [
  ['v1 (50 + 33 B, no finished)', 'noble', v1Sampler],
  ['v2 psk (51 + 33 + 9 B)', 'noble', v2Sampler('psk', nobleCrypto)],
  ['v2 psk-dhe (83 + 65 + 9 B)', 'noble', v2Sampler('psk-dhe', nobleCrypto)],
  ['v2 psk-dhe (83 + 65 + 9 B)', 'native X25519', v2Sampler('psk-dhe', nativeX25519)],
];

console.log(`resumption CPU per side, warm median of ${SAMPLES} samples x ${ITERATIONS} resumptions (process.cpuUsage), Node ${process.versions.node}`);
console.log(`${'protocol'.padEnd(30)}${'crypto'.padEnd(16)}${'initiator ms'.padStart(14)}${'responder ms'.padStart(14)}`);
for (const [name, crypto, sample] of cases) {
  sample(); // warm-up
  const runs = Array.from({ length: SAMPLES }, sample);
  const i = median(runs.map((r) => r.initiator));
  const r = median(runs.map((r) => r.responder));
  console.log(`${name.padEnd(30)}${crypto.padEnd(16)}${i.toFixed(3).padStart(14)}${r.toFixed(3).padStart(14)}`);
}
