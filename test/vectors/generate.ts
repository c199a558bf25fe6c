// Known-answer transcripts (docs/protocol.md "Known-answer transcripts", docs/resumption.md
// "Known-answer vectors"): fixed seeds and random draws -> every message's bytes and every
// derived key, for the full handshake (identities unknown, and pinned) and for resumption
// version 2 in both modes, chained from the full handshake's resumption master secret.
//
// `npx tsx test/vectors/generate.ts --write` rewrites test/vectors/*.json from the library;
// test/vectors/vectors.test.ts regenerates them and compares (and checks the resumption
// vectors against the independent node:crypto reference).
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { bytesToHex, hexToBytes } from '../../src/bytes.js';
import { nobleCrypto, type CryptoProvider } from '../../src/crypto/index.js';
import { HandshakeInitiator, HandshakeResponder } from '../../src/handshake/index.js';
import { identityFromSeed } from '../../src/identity/index.js';
import { ResumeInitiator, acceptResumeV2, deriveDirectionSecret, deriveResumeTicketId, type ResumeMode } from '../../src/resumption/index.js';
import { binderKeyFor, deriveResumeSecrets, resumeContext, resumeTranscriptHash, finishedTranscriptHash } from '../../src/resumption/resume-schedule.js';

const hex = bytesToHex;

/** `n` bytes of SHA-256("pqble vectors/" || label || "/" || block) blocks: the fixed "random" inputs. */
export function fixedBytes(label: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0, block = 0; off < n; off += 32, block++) {
    out.set(createHash('sha256').update(`pqble vectors/${label}/${block}`).digest().subarray(0, Math.min(32, n - off)), off);
  }
  return out;
}

/** A provider whose random draws come from `draws`, in order, each of the stated length. */
function scriptedCrypto(name: string, draws: Uint8Array[], encapsulationRandomness?: Uint8Array): CryptoProvider {
  const queue = draws.map((d) => d.slice());
  return {
    ...nobleCrypto,
    name: `scripted(${name})`,
    randomBytes(length) {
      const next = queue.shift();
      if (next?.length !== length) throw new Error(`${name}: unexpected random draw of ${length} bytes`);
      return next;
    },
    kemEncapsulate(publicKey) {
      if (encapsulationRandomness === undefined) throw new Error(`${name}: unexpected encapsulation`);
      return ml_kem768.encapsulate(publicKey, encapsulationRandomness);
    },
    // FIPS 204 deterministic signing (rnd = 0^32), empty context string.
    sign: (message, secretKey) => ml_dsa65.sign(message, secretKey, { extraEntropy: false }),
  };
}

/** One handshake transcript vector. */
export interface HandshakeTranscript {
  name: 'full' | 'pinned';
  input: {
    initiatorIdentitySeed: string;
    responderIdentitySeed: string;
    initiatorX25519SecretKey: string;
    initiatorKemKeygenSeed: string;
    responderX25519SecretKey: string;
    responderKemEncapsulationRandomness: string;
  };
  identities: { initiatorFingerprint: string; responderFingerprint: string; initiatorPublicKeySha256: string; responderPublicKeySha256: string };
  messages: { m1: string; m2: string; m3: string };
  output: { transcriptHash: string; initiatorToResponderKey: string; responderToInitiatorKey: string; resumptionMasterSecret: string; sessionId: string };
}

/** Runs the handshake with every random draw fixed. */
export function handshakeTranscript(name: 'full' | 'pinned'): HandshakeTranscript {
  const input = {
    initiatorIdentitySeed: fixedBytes('initiator identity seed', 32),
    responderIdentitySeed: fixedBytes('responder identity seed', 32),
    initiatorX25519SecretKey: fixedBytes(`${name}/initiator x25519`, 32),
    initiatorKemKeygenSeed: fixedBytes(`${name}/initiator ml-kem keygen`, 64),
    responderX25519SecretKey: fixedBytes(`${name}/responder x25519`, 32),
    responderKemEncapsulationRandomness: fixedBytes(`${name}/responder ml-kem encapsulation`, 32),
  };
  const alice = identityFromSeed(input.initiatorIdentitySeed);
  const bob = identityFromSeed(input.responderIdentitySeed);
  const iCrypto = scriptedCrypto('initiator', [input.initiatorX25519SecretKey, input.initiatorKemKeygenSeed]);
  const rCrypto = scriptedCrypto('responder', [input.responderX25519SecretKey], input.responderKemEncapsulationRandomness);
  const i = new HandshakeInitiator(name === 'pinned' ? { identity: alice, peerKey: bob.publicKey, crypto: iCrypto } : { identity: alice, crypto: iCrypto });
  const r = new HandshakeResponder({ identity: bob, lookupPeerKey: (fp) => (hex(fp) === hex(alice.fingerprint) ? alice.publicKey : undefined), crypto: rCrypto });
  const m1 = i.start();
  const m2 = r.readInit(m1);
  i.readResponse(m2);
  const { message: m3, result } = i.finish();
  const responder = r.readFinish(m3);
  if (hex(responder.resumptionSecret) !== hex(result.resumptionSecret)) throw new Error('the two sides disagree');
  const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
  return {
    name,
    input: Object.fromEntries(Object.entries(input).map(([k, v]) => [k, hex(v)])) as HandshakeTranscript['input'],
    identities: {
      initiatorFingerprint: hex(alice.fingerprint),
      responderFingerprint: hex(bob.fingerprint),
      initiatorPublicKeySha256: sha(alice.publicKey),
      responderPublicKeySha256: sha(bob.publicKey),
    },
    messages: { m1: hex(m1), m2: hex(m2), m3: hex(m3) },
    output: {
      transcriptHash: hex(result.transcriptHash),
      initiatorToResponderKey: hex(result.sendKey),
      responderToInitiatorKey: hex(result.receiveKey),
      resumptionMasterSecret: hex(result.resumptionSecret),
      sessionId: hex(result.sessionId),
    },
  };
}

/** Inputs of one resumption vector (hex). */
export interface ResumeVectorInput {
  mode: ResumeMode;
  rms: string;
  initiatorFingerprint: string;
  responderFingerprint: string;
  initiatorNonce: string;
  responderNonce: string;
  initiatorEphemeralSecret: string;
  responderEphemeralSecret: string;
}

/** One resumption vector: inputs and every value (empty string where the mode has none). */
export interface ResumeVector {
  name: string;
  input: ResumeVectorInput;
  output: Record<string, string>;
}

/** The resumption inputs: the full handshake's rms and identities, fixed nonces and ephemeral keys. */
export function resumeInput(mode: ResumeMode, full: HandshakeTranscript): ResumeVectorInput {
  const dhe = mode === 'psk-dhe';
  return {
    mode,
    rms: full.output.resumptionMasterSecret,
    initiatorFingerprint: full.identities.initiatorFingerprint,
    responderFingerprint: full.identities.responderFingerprint,
    initiatorNonce: hex(fixedBytes(`${mode}/Ni`, 16)),
    responderNonce: hex(fixedBytes(`${mode}/Nr`, 16)),
    initiatorEphemeralSecret: dhe ? hex(fixedBytes(`${mode}/ei secret`, 32)) : '',
    responderEphemeralSecret: dhe ? hex(fixedBytes(`${mode}/er secret`, 32)) : '',
  };
}

/** Runs one resumption through the library's public API (plus its schedule functions for the intermediates). */
export function resumeVector(input: ResumeVectorInput): ResumeVector {
  const b = (h: string): Uint8Array => hexToBytes(h);
  const fpI = b(input.initiatorFingerprint);
  const fpR = b(input.responderFingerprint);
  const dhe = input.mode === 'psk-dhe';
  const rs = deriveDirectionSecret(b(input.rms), fpI, fpR);
  const rsReverse = deriveDirectionSecret(b(input.rms), fpR, fpI);
  const scripted = (...draws: string[]) => {
    const queue = draws.filter((d) => d !== '').map(b);
    return (n: number): Uint8Array => {
      const next = queue.shift();
      if (next?.length !== n) throw new Error(`unexpected random draw of ${n} bytes`);
      return next;
    };
  };
  const initiator = new ResumeInitiator({ secret: rs, initiatorFingerprint: fpI, responderFingerprint: fpR, mode: input.mode, random: scripted(input.initiatorNonce, input.initiatorEphemeralSecret) });
  const request = initiator.request();
  const accepted = acceptResumeV2({ secret: rs, initiatorFingerprint: fpI, responderFingerprint: fpR, request, random: scripted(input.responderNonce, input.responderEphemeralSecret) });
  const reply = initiator.readReply(accepted.message);
  if (reply.kind !== 'accept') throw new Error('rejected');
  accepted.finished.verify(reply.finished);
  const accept = accepted.message;
  const prefix = accept.subarray(0, accept.length - 16);
  const confirm = accept.subarray(accept.length - 16);
  // Intermediates, from the library's schedule functions.
  const ctx = resumeContext(fpI, fpR);
  const th1 = resumeTranscriptHash(ctx, request, prefix, nobleCrypto);
  const ei = dhe ? nobleCrypto.x25519Keygen(b(input.initiatorEphemeralSecret)).publicKey : new Uint8Array(0);
  const er = dhe ? prefix.subarray(17) : new Uint8Array(0);
  const shared = dhe ? nobleCrypto.x25519(b(input.initiatorEphemeralSecret), er) : new Uint8Array(0);
  const s = deriveResumeSecrets(rs, dhe ? shared : undefined, th1, nobleCrypto);
  const prk = nobleCrypto.hkdfExtract(th1, new Uint8Array([...rs, ...shared]));
  const output: Record<string, string> = {
    rsInitiatorToResponder: hex(rs),
    rsResponderToInitiator: hex(rsReverse),
    ticketId: hex(deriveResumeTicketId(rs, fpI, fpR)),
    binderKey: hex(binderKeyFor(rs, ctx, nobleCrypto)),
    binder: hex(request.subarray(request.length - 16)),
    initiatorEphemeralPublic: hex(ei),
    request: hex(request),
    responderEphemeralPublic: hex(er),
    x25519SharedSecret: hex(shared),
    acceptPrefix: hex(prefix),
    th1: hex(th1),
    prk: hex(prk),
    i2r: hex(reply.keys.sendKey),
    r2i: hex(reply.keys.receiveKey),
    rConfirmKey: hex(s.rConfirmKey),
    iConfirmKey: hex(s.iConfirmKey),
    nextSecret: hex(reply.keys.nextSecret),
    sessionId: hex(reply.keys.sessionId),
    confirm: hex(confirm),
    accept: hex(accept),
    th2: hex(finishedTranscriptHash(th1, confirm, nobleCrypto)),
    finished: hex(reply.finished),
    nextTicketId: hex(deriveResumeTicketId(reply.keys.nextSecret, fpI, fpR)),
  };
  const responderView = { i2r: hex(accepted.keys.receiveKey), r2i: hex(accepted.keys.sendKey), nextSecret: hex(accepted.keys.nextSecret), sessionId: hex(accepted.keys.sessionId) };
  for (const [k, v] of Object.entries(responderView)) if (output[k] !== v) throw new Error(`the responder's ${k} differs`);
  return { name: input.mode, input, output };
}

const HANDSHAKE_DESCRIPTION =
  'pqble full handshake known-answer transcripts (docs/protocol.md "Known-answer transcripts"). Every random draw is fixed: ' +
  "the initiator's X25519 secret key and ML-KEM-768 keygen seed (d || z, FIPS 203), the responder's X25519 secret key and ML-KEM " +
  'encapsulation randomness m (FIPS 203). Identities are ML-DSA-65 keys from 32-byte seeds (FIPS 204 KeyGen_internal xi); signatures ' +
  'are FIPS 204 deterministic (rnd = 0^32) with the empty context string. Initiator = identity A, responder = identity B; ' +
  'the pinned transcript uses the same identities with the initiator holding B\'s public key.';

const RESUME_DESCRIPTION =
  'pqble resumption version 2 known-answer vectors (docs/resumption.md "Known-answer vectors"), chained from the full handshake ' +
  'transcript "full" of handshake-transcripts.json: rms is its resumption master secret, the fingerprints are its identities ' +
  '(initiator A resumes with responder B). Nonces and X25519 secret keys are fixed. Empty strings mark values a mode does not have. ' +
  'i2r/r2i are the traffic keys initiator->responder / responder->initiator; nextTicketId is the ticket id of nextSecret.';

/** Both vector files' contents. */
export function generateAll(): { handshake: object; resumption: object } {
  const full = handshakeTranscript('full');
  const pinned = handshakeTranscript('pinned');
  return {
    handshake: { description: HANDSHAKE_DESCRIPTION, transcripts: [full, pinned] },
    resumption: { description: RESUME_DESCRIPTION, vectors: [resumeVector(resumeInput('psk', full)), resumeVector(resumeInput('psk-dhe', full))] },
  };
}

export const HANDSHAKE_FILE = new URL('./handshake-transcripts.json', import.meta.url);
export const RESUMPTION_FILE = new URL('./resumption-v2.json', import.meta.url);

if (process.argv.includes('--write') && import.meta.url === `file://${process.argv[1]}`) {
  const all = generateAll();
  writeFileSync(HANDSHAKE_FILE, `${JSON.stringify(all.handshake, null, 2)}\n`);
  writeFileSync(RESUMPTION_FILE, `${JSON.stringify(all.resumption, null, 2)}\n`);
  console.log('wrote', HANDSHAKE_FILE.pathname, RESUMPTION_FILE.pathname);
}
