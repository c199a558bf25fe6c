/**
 * What the adapters say when there is no usable Bluetooth adapter (src/adapters/
 * expected-adapter.ts, adapter-state.ts): which adapter the library would use, or that there
 * is none, for each environment; and those messages coming out of createNobleCentral() and
 * createBlenoPeripheral() over the fakes (test/adapters/fakes), never "is poweredOff".
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { waitForPoweredOn } from '../../src/adapters/adapter-state.js';
import { createBlenoPeripheral } from '../../src/adapters/bleno.js';
import { describeExpectedAdapter, type AdapterEnvironment } from '../../src/adapters/expected-adapter.js';
import { createNobleCentral } from '../../src/adapters/noble.js';
import { SharedBleLibrary } from '../../src/adapters/shared-library.js';
import { createFakeBlePair, type FakeAdapterState } from './fakes/index.js';
import { rejectsWithCode } from './helpers.js';

const NOBLE = '@stoprocent/noble';
const BLENO = '@stoprocent/bleno';

function linux(hciDevices: readonly string[] | undefined, env: Record<string, string> = {}, existing: readonly string[] = []): AdapterEnvironment {
  return { platform: 'linux', env, hciDevices, exists: (path) => existing.includes(path) };
}

describe('describeExpectedAdapter()', () => {
  it('says there is no adapter when the kernel lists none, or has no Bluetooth at all', () => {
    const empty = describeExpectedAdapter(NOBLE, linux([]));
    assert.equal(empty.missing, true);
    assert.match(empty.text, /^there is no Bluetooth adapter: the kernel lists no HCI device \(\/sys\/class\/bluetooth is empty\)/);
    assert.match(empty.text, /BLUETOOTH_HCI_SOCKET_UART_PORT/);
    const none = describeExpectedAdapter(BLENO, linux(undefined));
    assert.equal(none.missing, true);
    assert.match(none.text, /^there is no Bluetooth adapter: the kernel lists none \(\/sys\/class\/bluetooth is missing/);
  });

  it('names the variable that picks the device, per library, and the devices the kernel lists', () => {
    const noble = describeExpectedAdapter(NOBLE, linux(['hci0', 'hci1']));
    assert.deepEqual(noble, {
      missing: false,
      text: 'it uses the first HCI device that is up (the kernel lists hci0, hci1; NOBLE_HCI_DEVICE_ID=<n> picks hci<n>)',
    });
    assert.match(describeExpectedAdapter(BLENO, linux(['hci0'])).text, /BLENO_HCI_DEVICE_ID=<n> picks hci<n>/);
    assert.deepEqual(describeExpectedAdapter(NOBLE, linux(['hci0', 'hci1'], { NOBLE_HCI_DEVICE_ID: '1' })), {
      missing: false,
      text: 'it uses hci1 (NOBLE_HCI_DEVICE_ID=1; the kernel lists hci0, hci1)',
    });
  });

  it('says so when the variable names a device the kernel does not list', () => {
    const r = describeExpectedAdapter(BLENO, linux(['hci0'], { BLENO_HCI_DEVICE_ID: '3', NOBLE_HCI_DEVICE_ID: '0' }));
    assert.deepEqual(r, { missing: true, text: 'there is no such Bluetooth adapter: BLENO_HCI_DEVICE_ID=3 asks for hci3, but the kernel lists hci0' });
  });

  it('follows BLUETOOTH_HCI_SOCKET_UART_PORT before anything else, and checks that the port exists', () => {
    const gone = describeExpectedAdapter(NOBLE, linux(['hci0'], { BLUETOOTH_HCI_SOCKET_UART_PORT: '/dev/ttyACM7' }));
    assert.deepEqual(gone, { missing: true, text: 'there is no Bluetooth adapter: BLUETOOTH_HCI_SOCKET_UART_PORT names /dev/ttyACM7, which does not exist' });
    const there = describeExpectedAdapter(NOBLE, linux(undefined, { BLUETOOTH_HCI_SOCKET_UART_PORT: '/dev/pts/4' }, ['/dev/pts/4']));
    assert.equal(there.missing, false);
    assert.match(there.text, /serial port \/dev\/pts\/4/);
  });

  it('describes macOS, Windows and unsupported platforms without claiming an adapter is missing where it cannot know', () => {
    const env = (platform: string): AdapterEnvironment => ({ platform, env: {}, hciDevices: undefined, exists: () => false });
    assert.equal(describeExpectedAdapter(NOBLE, env('darwin')).missing, false);
    assert.match(describeExpectedAdapter(NOBLE, env('darwin')).text, /Privacy & Security/);
    assert.match(describeExpectedAdapter(NOBLE, env('win32')).text, /USB Bluetooth adapter/);
    assert.deepEqual(describeExpectedAdapter(BLENO, env('aix')), { missing: true, text: 'there is no Bluetooth support for aix in @stoprocent/bleno' });
  });
});

describe('waitForPoweredOn() messages (fake noble, given environment)', () => {
  async function failure(state: FakeAdapterState, environment: AdapterEnvironment): Promise<string> {
    const { noble } = createFakeBlePair({ central: { initialState: state } });
    const err = await rejectsWithCode(waitForPoweredOn(noble, { timeoutMs: 40, packageName: NOBLE, environment }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
    assert.equal(noble.listenerCount('stateChange'), 0, 'its listener is removed');
    return err.message;
  }

  it('no HCI device: leads with "there is no Bluetooth adapter", whatever state the library reports', async () => {
    for (const state of ['unsupported', 'poweredOff', 'unknown'] as const) {
      const message = await failure(state, linux([]));
      assert.match(message, /^there is no Bluetooth adapter: the kernel lists no HCI device/, message);
      assert.doesNotMatch(message, /is poweredOff/);
    }
    assert.match(await failure('poweredOff', linux([])), /; @stoprocent\/noble did not power on within 40 ms \(still poweredOff\)$/);
    assert.match(await failure('unsupported', linux([])), /\(@stoprocent\/noble reports unsupported\)$/);
  });

  it('an adapter that is there but stays off: names it and asks about rfkill', async () => {
    const message = await failure('poweredOff', linux(['hci0']));
    assert.equal(
      message,
      'the Bluetooth adapter did not power on within 40 ms (still poweredOff; @stoprocent/noble); it uses the first HCI device that is up ' +
        '(the kernel lists hci0; NOBLE_HCI_DEVICE_ID=<n> picks hci<n>). Is it switched on and not blocked by rfkill?',
    );
    assert.match(
      await failure('unsupported', linux(['hci0'])),
      /^no usable Bluetooth adapter: @stoprocent\/noble reports unsupported, so it or the OS lacks Bluetooth LE support; it uses/,
    );
  });
});

describe('no adapter, through createNobleCentral() / createBlenoPeripheral() on the fakes', () => {
  /** Runs `fn` with BLUETOOTH_HCI_SOCKET_UART_PORT naming a port that does not exist (the same on every host). */
  async function withMissingUartPort(fn: () => Promise<void>): Promise<void> {
    const saved = process.env.BLUETOOTH_HCI_SOCKET_UART_PORT;
    process.env.BLUETOOTH_HCI_SOCKET_UART_PORT = '/nonexistent/pqble-tty';
    try {
      await fn();
    } finally {
      if (saved === undefined) delete process.env.BLUETOOTH_HCI_SOCKET_UART_PORT;
      else process.env.BLUETOOTH_HCI_SOCKET_UART_PORT = saved;
    }
  }
  const expected = /^there is no Bluetooth adapter: BLUETOOTH_HCI_SOCKET_UART_PORT names \/nonexistent\/pqble-tty, which does not exist/;

  for (const state of ['unsupported', 'poweredOff'] as const) {
    it(`central (${state}): says there is no adapter and which one was expected`, async () => {
      await withMissingUartPort(async () => {
        const { noble } = createFakeBlePair({ central: { initialState: state } });
        const err = await rejectsWithCode(createNobleCentral({ noble, poweredOnTimeoutMs: 50 }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
        assert.match(err.message, expected);
        assert.doesNotMatch(err.message, /is poweredOff/);
      });
    });

    it(`peripheral (${state}): says there is no adapter and which one was expected`, async () => {
      await withMissingUartPort(async () => {
        const { bleno } = createFakeBlePair({ peripheral: { initialState: state, syncInit: true } });
        const err = await rejectsWithCode(createBlenoPeripheral({ bleno, poweredOnTimeoutMs: 50 }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
        assert.match(err.message, expected);
        assert.doesNotMatch(err.message, /is poweredOff/);
      });
    });
  }

  it(
    'on this host (Linux): an unsupported adapter is reported as missing or with the variable that picks it',
    { skip: process.platform !== 'linux' && 'Linux only' },
    async () => {
      const { noble } = createFakeBlePair({ central: { initialState: 'unsupported' } });
      const err = await rejectsWithCode(createNobleCentral({ noble }), 'PQBLE_ERR_RADIO_UNAVAILABLE');
      assert.match(err.message, /^there is no (such )?Bluetooth adapter|NOBLE_HCI_DEVICE_ID/);
    },
  );
});

describe('a radio library that is not installed', () => {
  for (const pkg of [NOBLE, BLENO]) {
    it(`${pkg}: the error names the package to install in full, with nothing cut off and no rebuild`, async () => {
      const notFound = Object.assign(new Error(`Cannot find package '${pkg}' imported from /app/node_modules/pqble/dist/adapters/noble/library.js`), {
        code: 'ERR_MODULE_NOT_FOUND',
      });
      const shared = new SharedBleLibrary<object>(
        pkg,
        () => Promise.reject(notFound),
        () => undefined,
      );
      const err = await rejectsWithCode(shared.acquire(), 'PQBLE_ERR_RADIO_UNAVAILABLE');
      assert.equal(
        err.message,
        `could not load ${pkg}: it is not installed. It is an optional peer dependency of pqble: run \`npm install ${pkg}\`; ` +
          'see docs/hardware.md "Installing the radio libraries"',
      );
      assert.equal(err.cause, notFound);
    });
  }
});
