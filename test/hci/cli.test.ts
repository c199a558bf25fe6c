/**
 * The `pqble peripheral` / `pqble central` chat, the BUILT command line as subprocesses,
 * over the REAL noble and bleno on btvirt's emulated controllers (test/hci/harness.ts):
 * lines typed on one side appear on the other, the connection lines say what is known
 * (no "0 bytes on air" on a real radio), and the central resumes after a restart. Skipped,
 * with one line, where btvirt or socat is not installed.
 */

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { CLI, requireBuilt, runInProcess } from '../cli/helpers.js';
import { HciEmulator, hciSkipReason, type Controller } from './harness.js';

const SKIP = hciSkipReason();

/** A running CLI process with its output so far. */
class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly #waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (c: string) => {
      this.stdout += c;
      this.#wake();
    });
    child.stderr?.on('data', (c: string) => {
      this.stderr += c;
      this.#wake();
    });
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        resolve(code);
        this.#wake();
      }),
    );
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** Waits until `stream` matches `re`; returns the match. */
  waitFor(stream: 'stdout' | 'stderr', re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = this[stream].match(re);
        if (m !== null) {
          done();
          resolve(m);
        } else if (this.child.exitCode !== null) {
          done();
          reject(new Error(`the process exited (${this.child.exitCode}) before ${stream} matched ${re}; stderr: ${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${stream} to match ${re}; stdout: ${this.stdout}; stderr: ${this.stderr}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  type(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Ends stdin (Ctrl-D) and waits for the process to exit by itself. */
  async end(timeoutMs = 10_000): Promise<number | null> {
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

describe('the pqble chat (built CLI) over the real libraries on btvirt', { skip: SKIP === undefined ? false : `HCI CLI tests skipped: ${SKIP}` }, () => {
  let emu: HciEmulator;
  let pc: Controller;
  let cc: Controller;
  before(async () => {
    requireBuilt();
    emu = await HciEmulator.start();
    pc = await emu.addController('cli-p');
    cc = await emu.addController('cli-c');
  });
  after(async () => {
    await emu?.close();
  });

  it('chats both ways, reports what is known of each connection, and resumes after the central restarts', { timeout: 90_000 }, async (t: TestContext) => {
    const ids = { p: join(emu.dir, 'p.id.json'), c: join(emu.dir, 'c.id.json') };
    for (const path of Object.values(ids)) assert.equal((await runInProcess(['identity', 'new', '--path', path])).status, 0);
    const sessions = { p: join(emu.dir, 'p.sessions'), c: join(emu.dir, 'c.sessions') };
    const spawnCli = (controller: Controller, args: string[]): CliProcess => new CliProcess(emu.spawnOn(controller, process.execPath, [CLI, ...args]));

    const peripheral = spawnCli(pc, ['peripheral', '--name', 'cli-chat', '--identity', ids.p, '--sessions', sessions.p]);
    await peripheral.waitFor('stderr', /advertising as "cli-chat" \(device 00:aa:01:[0-9a-f:]+\)/);

    let central = spawnCli(cc, ['central', '--device', pc.address, '--identity', ids.c, '--sessions', sessions.c]);
    const fullLine = (await central.waitFor('stderr', /^connected: full handshake with .*$/m))[0];
    const peerLine = (await peripheral.waitFor('stderr', /^connected: full handshake with .*$/m))[0];
    // The central waited for 2 round trips; the peripheral reports none (it waits for none).
    assert.match(fullLine, /; 2 round trips, [\d,]+ ATT payload bytes in \d+ packets, ATT MTU 256, [\d.,]+ ms\)$/);
    assert.match(peerLine, /; [\d,]+ ATT payload bytes in \d+ packets, ATT MTU 256, [\d.,]+ ms\)$/);
    assert.doesNotMatch(peerLine + fullLine, /bytes on air|0 round trips/, 'a real radio reports no bytes on air');

    central.type('hello from the central');
    await peripheral.waitFor('stdout', /^[0-9a-f]{8}…> hello from the central$/m);
    peripheral.type('hi from the peripheral');
    await central.waitFor('stdout', /^[0-9a-f]{8}…> hi from the peripheral$/m);
    assert.equal(await central.end(), 0, central.stderr);
    await peripheral.waitFor('stderr', /^disconnected: [0-9a-f]{8}/m);

    central = spawnCli(cc, ['central', '--device', pc.address, '--identity', ids.c, '--sessions', sessions.c]);
    const resumedLine = (await central.waitFor('stderr', /^connected: resumed with .*$/m))[0];
    assert.match(resumedLine, /; 1 round trip, \d+ ATT payload bytes in \d+ packets, ATT MTU 256, [\d.,]+ ms\)$/);
    await peripheral.waitFor('stderr', /^connected: resumed with /m);
    central.type('and again');
    await peripheral.waitFor('stdout', /^[0-9a-f]{8}…> and again$/m);
    assert.equal(await central.end(), 0, central.stderr);
    assert.equal(await peripheral.end(), 0, peripheral.stderr);
    assert.equal(central.stdout.includes('noble') || peripheral.stdout.includes('bleno'), false, 'stdout carries only messages');
    t.diagnostic(fullLine);
    t.diagnostic(resumedLine);
  });
});
