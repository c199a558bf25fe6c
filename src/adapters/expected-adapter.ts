/**
 * Which Bluetooth adapter a BLE library would use, from the process environment, for the
 * messages of a radio that never powers on (docs/hardware.md "No adapter"). On Linux the
 * libraries bind the first HCI device that is up, or the one their `*_HCI_DEVICE_ID`
 * variable names, or a controller on the serial port `BLUETOOTH_HCI_SOCKET_UART_PORT`
 * names; the kernel lists its HCI devices in `/sys/class/bluetooth`.
 *
 * @module
 */

import { existsSync, readdirSync } from 'node:fs';

/** What the process environment says about Bluetooth adapters. */
export interface AdapterEnvironment {
  /** `process.platform`. */
  readonly platform: string;
  /** `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** HCI device names the kernel lists (`hci0`, ...); `undefined` when `/sys/class/bluetooth` is missing. */
  readonly hciDevices: readonly string[] | undefined;
  /** True if the path exists (a serial port). */
  exists(path: string): boolean;
}

/** What {@link describeExpectedAdapter} found. */
export interface ExpectedAdapter {
  /** True when there is certainly no adapter to use (none listed, or the one asked for is absent). */
  readonly missing: boolean;
  /** One clause: the adapter expected, and how to pick another. */
  readonly text: string;
}

/** Where Linux lists HCI devices. */
const SYSFS_BLUETOOTH = '/sys/class/bluetooth';

/** The variable each library reads for the HCI device number. */
const DEVICE_ID_VARIABLES: Readonly<Record<string, string>> = {
  '@stoprocent/noble': 'NOBLE_HCI_DEVICE_ID',
  '@stoprocent/bleno': 'BLENO_HCI_DEVICE_ID',
};

const UART_PORT = 'BLUETOOTH_HCI_SOCKET_UART_PORT';

/** The environment of this process (reads `/sys/class/bluetooth` on Linux). */
function processAdapterEnvironment(): AdapterEnvironment {
  let hciDevices: string[] | undefined;
  if (process.platform === 'linux') {
    try {
      hciDevices = readdirSync(SYSFS_BLUETOOTH)
        .filter((name) => /^hci\d+$/.test(name))
        .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
    } catch {
      hciDevices = undefined;
    }
  }
  return { platform: process.platform, env: process.env, hciDevices, exists: (path) => existsSync(path) };
}

/** `BLUETOOTH_HCI_SOCKET_UART_PORT` to a serial HCI controller, as an alternative. */
const UART_ALTERNATIVE = `or set ${UART_PORT} to the serial port of an HCI controller`;

/**
 * The adapter `packageName` would use in `environment`, as one clause for an error message,
 * for example `there is no Bluetooth adapter: the kernel lists no HCI device (/sys/class/bluetooth
 * is empty); attach one, or set BLUETOOTH_HCI_SOCKET_UART_PORT ...` or `it uses the first HCI
 * device that is up (the kernel lists hci0; NOBLE_HCI_DEVICE_ID=<n> picks hci<n>)`.
 */
export function describeExpectedAdapter(packageName: string, environment: AdapterEnvironment = processAdapterEnvironment()): ExpectedAdapter {
  const { env, platform } = environment;
  const port = env[UART_PORT];
  if (port !== undefined && port !== '') {
    if (!environment.exists(port)) return { missing: true, text: `there is no Bluetooth adapter: ${UART_PORT} names ${port}, which does not exist` };
    return { missing: false, text: `it uses the HCI controller on the serial port ${port} (${UART_PORT})` };
  }
  if (env.BLUETOOTH_HCI_SOCKET_FORCE_UART !== undefined && env.BLUETOOTH_HCI_SOCKET_FORCE_UART !== '') {
    return { missing: false, text: `it looks for an HCI controller on a serial port (BLUETOOTH_HCI_SOCKET_FORCE_UART; ${UART_PORT} names one)` };
  }
  if (platform === 'darwin') {
    return {
      missing: false,
      text: "it uses the Mac's Bluetooth: check that Bluetooth is on and that this app may use it (System Settings, Privacy & Security, Bluetooth)",
    };
  }
  if (platform === 'win32' || platform === 'freebsd' || (env.BLUETOOTH_HCI_SOCKET_FORCE_USB ?? '') !== '') {
    return { missing: false, text: 'it uses the first USB Bluetooth adapter with a WinUSB or libusb driver (BLUETOOTH_HCI_SOCKET_USB_VID and _PID pick one)' };
  }
  if (platform !== 'linux' && platform !== 'android') return { missing: true, text: `there is no Bluetooth support for ${platform} in ${packageName}` };
  const variable = DEVICE_ID_VARIABLES[packageName] ?? 'NOBLE_HCI_DEVICE_ID';
  const devices = environment.hciDevices;
  if (devices === undefined) {
    return {
      missing: true,
      text: `there is no Bluetooth adapter: the kernel lists none (${SYSFS_BLUETOOTH} is missing: no Bluetooth support, or not visible here); attach one, ${UART_ALTERNATIVE}`,
    };
  }
  if (devices.length === 0) {
    return {
      missing: true,
      text: `there is no Bluetooth adapter: the kernel lists no HCI device (${SYSFS_BLUETOOTH} is empty); attach one, ${UART_ALTERNATIVE}`,
    };
  }
  const listed = devices.join(', ');
  const chosen = env[variable];
  if (chosen !== undefined && chosen !== '') {
    const name = `hci${Number.parseInt(chosen, 10)}`;
    if (!devices.includes(name))
      return { missing: true, text: `there is no such Bluetooth adapter: ${variable}=${chosen} asks for ${name}, but the kernel lists ${listed}` };
    return { missing: false, text: `it uses ${name} (${variable}=${chosen}; the kernel lists ${listed})` };
  }
  return { missing: false, text: `it uses the first HCI device that is up (the kernel lists ${listed}; ${variable}=<n> picks hci<n>)` };
}
