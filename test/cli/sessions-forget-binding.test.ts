/**
 * Review finding: a trust-on-first-use binding outlives its peer's session (the session
 * expires and is pruned, or `pqble sessions clear` removes every session), but `pqble
 * sessions forget PREFIX` only looked among the sessions: with none left it said "no session
 * matches" and the binding stayed, so a re-provisioned device at that device id was refused
 * with no offline way out (the refusal itself points to `pqble sessions forget`).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { bytesToHex } from '../../src/bytes.js';
import type { CliContext } from '../../src/cli/context.js';
import { plainStyle } from '../../src/cli/format.js';
import { run } from '../../src/cli/sessions.js';
import { FileSessionStore, clearStoreFile } from '../../src/session/file/index.js';
import { CENTRAL_ID, connectPair, identity, makePair, tempDir } from '../transport/helpers.js';

function context(out: string[]): CliContext {
  const sink = { write: (t: string) => out.push(t) };
  return {
    stdout: sink,
    stderr: sink,
    stdin: new PassThrough(),
    env: {},
    style: plainStyle,
    errStyle: plainStyle,
    signal: new AbortController().signal,
    now: () => Date.now(),
  };
}

async function binding(path: string, deviceId: string): Promise<string | undefined> {
  const store = await FileSessionStore.open({ path });
  try {
    const v = await store.getValue(`tofu:${deviceId}`);
    return v === undefined ? undefined : bytesToHex(v);
  } finally {
    await store.close();
  }
}

describe('review: pqble sessions forget without a session', () => {
  it('sessions forget cannot remove a tofu binding whose session is gone (must remove it)', async () => {
    const { dir, cleanup } = await tempDir();
    const path = join(dir, 'peripheral.sessions');
    const pair = await makePair({ peripheral: { sessionPersistPath: path } });
    try {
      await connectPair(pair); // binds CENTRAL_ID -> identity 0 at the peripheral
      await pair.peripheral.close();
      const fp = bytesToHex(identity(0).fingerprint);
      assert.equal(await binding(path, CENTRAL_ID), fp);
      await clearStoreFile(path); // every session gone (as after expiry and a prune)
      const out: string[] = [];
      const status = await run(['forget', fp.slice(0, 16), '--path', path], context(out)).catch((err: unknown) => String(err));
      assert.equal(await binding(path, CENTRAL_ID), undefined, `the binding is removed (${String(status)}: ${out.join('')})`);
      assert.equal(status, 0);
    } finally {
      await pair.close();
      await cleanup();
    }
  });
});
