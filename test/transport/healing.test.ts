/**
 * Healing (docs/security.md property 6): a passive eavesdropper who learned a resumption
 * secret and recorded a resumption on air. In `psk` mode it derives that session's traffic
 * keys from the recording (and so reads its records); in `psk-dhe` mode (the default) the
 * fresh X25519 exchange keeps them out of reach. The leaked secret is the one both sides
 * derive from the full handshake's resumption master secret, given to both by hand
 * (`cacheSession`), as a memory dump would reveal it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { equalBytes, randomBytes } from '../../src/bytes.js';
import { nobleCrypto } from '../../src/crypto/index.js';
import { Reassembler } from '../../src/framing/index.js';
import { RecordOpener } from '../../src/record/index.js';
import { deriveDirectionSecret } from '../../src/resumption/index.js';
import { deriveResumeSecrets, resumeContext, resumeTranscriptHash } from '../../src/resumption/resume-schedule.js';
import { MessageType } from '../../src/wire.js';
import { CENTRAL_ID, PERIPHERAL_ID, identity, makePair, text, utf8 } from './helpers.js';

describe('healing after a leaked resumption secret', () => {
  for (const mode of ['psk', 'psk-dhe'] as const) {
    it(`${mode}: ${mode === 'psk' ? 'a recording plus the leaked secret reveals the session' : 'the recording plus the leaked secret reveals nothing'}`, async () => {
      const pair = await makePair({ central: { resumptionMode: mode } });
      try {
        const master = randomBytes(32);
        const a = identity(0);
        const b = identity(1);
        await pair.central.cacheSession({ peerFingerprint: b.fingerprint, deviceId: PERIPHERAL_ID, resumptionSecret: master });
        await pair.peripheral.cacheSession({ peerFingerprint: a.fingerprint, deviceId: CENTRAL_ID, resumptionSecret: master });
        // The eavesdropper records every message on air.
        const recorded: { from: string; message: Uint8Array }[] = [];
        const reassemblers = { central: new Reassembler(), peripheral: new Reassembler() };
        pair.radio.setFaults({
          intercept: (e) => {
            const m = reassemblers[e.from].push(e.packet.slice());
            if (m !== undefined) recorded.push({ from: e.from, message: m });
            return 'deliver';
          },
        });
        const accepted = pair.peripheral.accept();
        const conn = await pair.central.connectToDevice(PERIPHERAL_ID);
        const peer = await accepted;
        assert.equal(conn.connectionType, 'resumed');
        await conn.send(utf8('the secret reading'));
        assert.equal(text(await peer.receive()), 'the secret reading');
        const request = recorded.find((r) => r.message[0] === MessageType.ResumeRequest)!.message;
        const accept = recorded.find((r) => r.message[0] === MessageType.ResumeAccept)!.message;
        const record = recorded.find((r) => r.from === 'central' && r.message[0] === MessageType.Record)!.message;
        // What the leak gives: rs(A -> B). The eavesdropper runs the key schedule on the
        // recording; in psk-dhe it lacks both X25519 secrets and can only guess.
        const rs = deriveDirectionSecret(master, a.fingerprint, b.fingerprint, nobleCrypto);
        const ctx = resumeContext(a.fingerprint, b.fingerprint);
        const th1 = resumeTranscriptHash(ctx, request, accept.subarray(0, accept.length - 16), nobleCrypto);
        const guessedDh = mode === 'psk' ? undefined : randomBytes(32);
        const keys = deriveResumeSecrets(rs, guessedDh, th1, nobleCrypto);
        const opener = new RecordOpener(keys.i2r, { crypto: nobleCrypto });
        let plaintext: string | undefined;
        try {
          plaintext = text(opener.open(record).content);
        } catch {
          plaintext = undefined;
        }
        if (mode === 'psk') {
          assert.equal(plaintext, 'the secret reading', 'psk: the leaked secret decrypts the recording');
          assert.ok(equalBytes(keys.sessionId, new Uint8Array(Buffer.from(conn.sessionId, 'hex'))));
        } else {
          assert.equal(plaintext, undefined, 'psk-dhe: the record stays sealed');
        }
      } finally {
        await pair.close();
      }
    });
  }
});
