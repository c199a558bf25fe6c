/**
 * The shared link compliance suite (test/link/compliance.ts) over the REAL noble and bleno,
 * in this process, each on its own btvirt controller (test/hci/harness.ts): the noble
 * central adapter on one pty, the bleno peripheral adapter on another. "Out of range" is
 * an HCI Disconnect with reason 0x08 issued to the peripheral's controller by the harness.
 * Skipped, with one line, where btvirt or socat is not installed.
 */

import { after, describe } from 'node:test';
import { createBlenoPeripheral, type BlenoLike } from '../../src/adapters/bleno.js';
import { createNobleCentral, type NobleLike } from '../../src/adapters/noble.js';
import { runLinkCompliance, type LinkHarness } from '../link/compliance.js';
import { HciEmulator, hciSkipReason, type Controller } from './harness.js';

const SKIP = hciSkipReason();
const NAME = 'noble central <-> bleno peripheral adapters on the real libraries over btvirt';

interface Radios {
  readonly emu: HciEmulator;
  readonly pc: Controller;
  readonly noble: NobleLike & { stop(): void };
  readonly bleno: BlenoLike<unknown> & { stop(): void };
}

let radios: Promise<Radios> | undefined;

/** The emulator and one noble and one bleno instance on their own ptys, made on first use. */
function setUp(): Promise<Radios> {
  radios ??= (async () => {
    const emu = await HciEmulator.start();
    const pc = await emu.addController('compliance-p');
    const cc = await emu.addController('compliance-c');
    // Both libraries pick their HCI transport when loaded: UART, with the port given per instance.
    process.env.BLUETOOTH_HCI_SOCKET_FORCE_UART = '1';
    const nobleModule = await import('@stoprocent/noble');
    const blenoModule = await import('@stoprocent/bleno');
    const noble = nobleModule.withBindings('hci', { bindParams: { uart: { port: cc.port } } }) as unknown as Radios['noble'];
    const bleno = blenoModule.withBindings('hci', { bindParams: { uart: { port: pc.port } } }) as unknown as Radios['bleno'];
    return { emu, pc, noble, bleno };
  })();
  return radios;
}

async function makeHarness(): Promise<LinkHarness> {
  const { pc, noble, bleno } = await setUp();
  const peripheral = await createBlenoPeripheral({ bleno, poweredOnTimeoutMs: 10_000 });
  const central = await createNobleCentral({ noble, poweredOnTimeoutMs: 10_000, scanTimeoutMs: 1500, mtuReport: 'attMtu' });
  return {
    central,
    peripheral,
    async cleanup() {
      await central.close();
      await peripheral.close();
    },
    dropLink: () => pc.proxy.dropConnections(),
  };
}

if (SKIP !== undefined) {
  describe(NAME, { skip: `HCI compliance skipped: ${SKIP}` }, () => undefined);
} else {
  runLinkCompliance(NAME, makeHarness, { unknownDevice: true });
  after(async () => {
    if (radios === undefined) return;
    const { emu, noble, bleno } = await radios;
    noble.stop();
    bleno.stop();
    // bleno's HCI layer keeps polling after stop() (docs/hardware.md "Closing and process exit").
    const hci = (bleno as unknown as { _bindings?: { _hci?: { pollIsDevUp?: () => void } } })._bindings?._hci;
    if (hci !== undefined) hci.pollIsDevUp = () => undefined;
    await emu.close();
  });
}
