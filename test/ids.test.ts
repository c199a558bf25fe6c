// The one parser of each id (src/ids.ts): parse(format(x)) == x over random values, every
// accepted spelling lands on one internal form, malformed input fails with a TypeError or
// RangeError that names the value, and no second parser comes back elsewhere in src/.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bytesToHex } from '../src/bytes.js';
import { SIZES } from '../src/crypto/index.js';
import { SESSION_ID_BYTES as KEY_SCHEDULE_SESSION_ID_BYTES } from '../src/handshake/key-schedule.js';
import { identityFingerprint, identityFromSeed } from '../src/identity/index.js';
import {
  DEVICE_ID_BYTES,
  FINGERPRINT_BYTES,
  IDENTITY_PUBLIC_KEY_BYTES,
  SESSION_ID_BYTES,
  TICKET_ID_BYTES,
  deviceIdFromBytes,
  deviceIdToBytes,
  fingerprintBytes,
  formatDeviceId,
  isDeviceId,
  isFingerprint,
  isSessionId,
  parseDeviceId,
  parseFingerprint,
  parseSessionId,
  parseTicketId,
} from '../src/ids.js';
import { RESUME_V2_FIELD_BYTES } from '../src/resumption/resume-messages.js';
import { fuzz } from './support/fuzz.js';

const bytesOf = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n });
/** Randomly upper-cases some characters. */
const mixCase = (hex: string, mask: readonly boolean[]): string => Array.from(hex, (c, i) => (mask[i % mask.length] ? c.toUpperCase() : c)).join('');
const caseMask = fc.array(fc.boolean(), { minLength: 1, maxLength: 16 });
/** Anything that is neither a string nor a Uint8Array. */
const notStringOrBytes = fc.anything().filter((v) => typeof v !== 'string' && !(v instanceof Uint8Array));
/** Strings that are not `digits` hex digits. */
const notHexOfLength = (digits: number): fc.Arbitrary<string> =>
  fc.string({ maxLength: digits + 4 }).filter((s) => !(s.length === digits && /^[0-9a-fA-F]*$/.test(s)));

/** Asserts `fn` throws `type` with a message that starts with `label`. */
function throwsLabelled(fn: () => unknown, type: typeof TypeError | typeof RangeError, label: string): void {
  assert.throws(fn, (err: unknown) => err instanceof type && err.message.startsWith(`${label} must be`));
}

describe('ids: device ids', () => {
  it('parse(format(x)) == x for every spelling of 6 random bytes (property)', () => {
    fc.assert(
      fc.property(bytesOf(DEVICE_ID_BYTES), caseMask, fc.constantFrom('', ':', '-'), (bytes, mask, sep) => {
        const id = deviceIdFromBytes(bytes);
        assert.equal(id, bytesToHex(bytes));
        assert.ok(isDeviceId(id));
        const spelled = mixCase(bytesToHex(bytes).match(/../g)!.join(sep), mask);
        assert.equal(parseDeviceId(spelled), id);
        assert.equal(parseDeviceId(formatDeviceId(id)), id);
        assert.equal(parseDeviceId(parseDeviceId(spelled)), id, 'parsing is idempotent');
        assert.deepEqual(deviceIdToBytes(id), bytes);
      }),
      fuzz(300),
    );
  });
  it('rejects malformed strings with a labelled RangeError and non-strings with a labelled TypeError (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (s) => {
        fc.pre(!/^[0-9a-f]{12}$/i.test(s.replace(/[:-]/g, '')));
        throwsLabelled(() => parseDeviceId(s, 'peer id'), RangeError, 'peer id');
        assert.equal(isDeviceId(s), false);
      }),
      fuzz(300),
    );
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== 'string'),
        (v) => throwsLabelled(() => parseDeviceId(v, 'peer id'), TypeError, 'peer id'),
      ),
      fuzz(100),
    );
    throwsLabelled(() => parseDeviceId('aabbcc'), RangeError, 'deviceId');
    assert.throws(() => deviceIdFromBytes(new Uint8Array(7)), RangeError);
    assert.throws(() => deviceIdFromBytes('aabbccddeeff' as never), TypeError);
  });
});

describe('ids: fingerprints', () => {
  it('bytes, lowercase and mixed-case hex parse to one form and back (property)', () => {
    fc.assert(
      fc.property(bytesOf(FINGERPRINT_BYTES), caseMask, (bytes, mask) => {
        const fp = parseFingerprint(bytes);
        assert.equal(fp, bytesToHex(bytes));
        assert.ok(isFingerprint(fp));
        assert.equal(parseFingerprint(mixCase(fp, mask)), fp);
        assert.equal(parseFingerprint(fp), fp);
        assert.deepEqual(fingerprintBytes(fp), bytes);
      }),
      fuzz(300),
    );
  });
  it('rejects other lengths, non-hex and other types with labelled errors (property)', () => {
    fc.assert(
      fc.property(notHexOfLength(64), (s) => throwsLabelled(() => parseFingerprint(s, 'peerFingerprint'), RangeError, 'peerFingerprint')),
      fuzz(300),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }).filter((b) => b.length !== FINGERPRINT_BYTES),
        (b) => throwsLabelled(() => parseFingerprint(b, 'fingerprint'), RangeError, 'fingerprint'),
      ),
      fuzz(200),
    );
    fc.assert(
      fc.property(notStringOrBytes, (v) =>
        throwsLabelled(() => parseFingerprint(v, 'allow-list policy: fingerprints[3]'), TypeError, 'allow-list policy: fingerprints[3]'),
      ),
      fuzz(100),
    );
    // The right length with one character that is not a hex digit.
    throwsLabelled(() => parseFingerprint(`${'a'.repeat(63)}g`), RangeError, 'fingerprint');
  });
});

describe('ids: session ids and ticket ids', () => {
  it('session ids: bytes and hex of either case parse to 32 lowercase hex digits (property)', () => {
    fc.assert(
      fc.property(bytesOf(SESSION_ID_BYTES), caseMask, (bytes, mask) => {
        const id = parseSessionId(bytes);
        assert.equal(id, bytesToHex(bytes));
        assert.ok(isSessionId(id));
        assert.equal(parseSessionId(mixCase(id, mask)), id);
      }),
      fuzz(300),
    );
    fc.assert(
      fc.property(notHexOfLength(32), (s) => throwsLabelled(() => parseSessionId(s), RangeError, 'sessionId')),
      fuzz(200),
    );
    fc.assert(
      fc.property(notStringOrBytes, (v) => throwsLabelled(() => parseSessionId(v), TypeError, 'sessionId')),
      fuzz(100),
    );
  });
  it('ticket ids: 16 bytes, taken as they are; hex is not a ticket id (property)', () => {
    fc.assert(
      fc.property(bytesOf(TICKET_ID_BYTES), (bytes) => {
        assert.equal(parseTicketId(bytes), bytes);
        throwsLabelled(() => parseTicketId(bytesToHex(bytes)), TypeError, 'ticketId');
      }),
      fuzz(300),
    );
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }).filter((b) => b.length !== TICKET_ID_BYTES),
        (b) => throwsLabelled(() => parseTicketId(b, 'inbound.ticketId'), RangeError, 'inbound.ticketId'),
      ),
      fuzz(200),
    );
    fc.assert(
      fc.property(
        fc.anything().filter((v) => !(v instanceof Uint8Array)),
        (v) => throwsLabelled(() => parseTicketId(v), TypeError, 'ticketId'),
      ),
      fuzz(100),
    );
  });
});

describe('ids: sizes', () => {
  it('name the sizes the protocol actually produces', () => {
    const identity = identityFromSeed(new Uint8Array(32).fill(7));
    assert.equal(identity.publicKey.length, IDENTITY_PUBLIC_KEY_BYTES);
    assert.equal(SIZES.sigPublicKey, IDENTITY_PUBLIC_KEY_BYTES);
    assert.equal(identityFingerprint(identity.publicKey).length, FINGERPRINT_BYTES);
    assert.equal(identity.fingerprint.length, FINGERPRINT_BYTES);
    assert.equal(RESUME_V2_FIELD_BYTES.ticketId, TICKET_ID_BYTES);
    assert.equal(KEY_SCHEDULE_SESSION_ID_BYTES, SESSION_ID_BYTES);
  });
});

describe('ids: one parser each', () => {
  /** Every .ts file under src/ (the bench too, while it lives there). */
  function sources(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
    });
  }
  // Names and shapes the removed second parsers had: a hex regex of an id's length, or the
  // helper names. peer-address.ts tells a BLE address from an OS identifier before it hands
  // the address to parseDeviceId, so its address shapes are not a parser of their own.
  const RETIRED_NAMES = ['parseFingerprintArg', 'HEX_FINGERPRINT_RE', 'FINGERPRINT_RE', 'DEVICE_ID_RE', 'HEX64_RE', 'HEX32_RE', 'HEX12_RE'];
  const ID_REGEX = /\[0-9a-f(?:A-F)?\]\{(?:12|32|64)\}/;
  const ALLOWED: Record<string, readonly string[]> = { 'src/ids.ts': ['*'], 'src/adapters/peer-address.ts': ['HEX12_RE', 'regex'] };

  it('no module outside src/ids.ts defines its own id parser', () => {
    const found: string[] = [];
    for (const path of sources('src')) {
      const rel = relative('.', path).replace(/\\/g, '/');
      const allowed = ALLOWED[rel] ?? [];
      if (allowed.includes('*')) continue;
      const text = readFileSync(path, 'utf8');
      for (const name of RETIRED_NAMES) if (!allowed.includes(name) && new RegExp(`\\b${name}\\b`).test(text)) found.push(`${rel}: ${name}`);
      if (!allowed.includes('regex') && ID_REGEX.test(text)) found.push(`${rel}: a hex regex of an id's length`);
    }
    assert.deepEqual(found, [], 'parse ids with src/ids.ts');
  });
  it('the guard itself recognises a second parser', () => {
    assert.ok(ID_REGEX.test(String.raw`const X = /^[0-9a-f]{64}$/;`));
    assert.ok(ID_REGEX.test(String.raw`/^[0-9a-fA-F]{12}$/`));
    assert.equal(ID_REGEX.test(String.raw`/^[0-9a-f]{1,64}$/`), false, 'a prefix is not an id');
  });
});
