/**
 * Helpers shared by the noble and bleno adapters (docs/hardware.md): BLE address <-> device
 * id mapping, waiting for the adapter to power on, and coded "radio unavailable" errors
 * that say what to install when the library or its native part is missing.
 *
 * @module
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes, utf8ToBytes } from '../bytes.js';
import { AbortError, LinkError, type PqbleError } from '../errors.js';
import { deviceIdFromBytes, parseDeviceId } from '../link/device-id.js';

/**
 * States after which waiting for `poweredOn` is pointless. `poweredOff` is not one of them:
 * both libraries report it while a controller initialises (before `poweredOn`), and real
 * adapters pass through it when Bluetooth is toggled.
 */
const HOPELESS_STATES: ReadonlySet<string> = new Set(['unsupported', 'unauthorized']);

/** A peripheral's advertised local name: 1..29 printable ASCII characters (31 payload bytes less the 2-byte AD header). Checked by the bleno adapter and, up front, by the CLI. */
export const ADVERTISED_NAME_RE = /^[\x20-\x7e]{1,29}$/;

const HEX12_RE = /^[0-9a-f]{12}$/i;
const ADDRESS_RE = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

/**
 * The device id (12 lowercase hex digits) of a BLE peer as a library names it.
 *
 * - A 6-byte address (`aa:bb:cc:dd:ee:ff`, `AA-BB-..`, or 12 hex digits, as noble and bleno
 *   report on Linux and Windows) is the device id itself.
 * - Anything else (macOS reports a CoreBluetooth UUID per peer and hides the address) maps
 *   to the first 6 bytes of SHA-256 of the lowercase, dash-free identifier: a stable local
 *   alias that only this host can resolve back (see docs/hardware.md "Device ids").
 *
 * @throws TypeError if `addressOrId` is not a string; RangeError if it is empty
 */
export function deviceIdForBlePeer(addressOrId: string): string {
  if (typeof addressOrId !== 'string') throw new TypeError('BLE address or id must be a string');
  const trimmed = addressOrId.trim();
  if (trimmed.length === 0) throw new RangeError('BLE address or id must not be empty');
  if (ADDRESS_RE.test(trimmed) || HEX12_RE.test(trimmed)) return parseDeviceId(trimmed);
  const canonical = trimmed.replace(/-/g, '').toLowerCase();
  return deviceIdFromBytes(sha256(utf8ToBytes(canonical)).subarray(0, 6));
}

/** The device id for an address a library reports, or `undefined` if it is no address ('unknown', ''). */
export function deviceIdFromAddress(address: unknown): string | undefined {
  if (typeof address !== 'string') return undefined;
  const trimmed = address.trim();
  return ADDRESS_RE.test(trimmed) || HEX12_RE.test(trimmed) ? parseDeviceId(trimmed) : undefined;
}

/** A random static device id (Bluetooth Core Vol 6 Part B 1.3.2.1: the two top bits set). */
export function randomStaticDeviceId(): string {
  const bytes = randomBytes(6);
  bytes[0] |= 0xc0;
  return deviceIdFromBytes(bytes);
}

/** Text of an error from a library, without assuming its type. */
function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.message} ${(err as { code?: unknown }).code === undefined ? '' : String((err as { code?: unknown }).code)}`;
  return String(err);
}

/** True if `err` says a native binding could not be loaded (prebuild missing, not built, wrong ABI). */
export function isMissingNativeBinding(err: unknown): boolean {
  return /No native build was found|Cannot find module|ERR_MODULE_NOT_FOUND|ERR_DLOPEN_FAILED|was compiled against a different Node\.js version|invalid ELF header|\.node\b/i.test(
    errorText(err),
  );
}

/**
 * True if `err` says the package `packageName` itself is not installed: Node's
 * `Cannot find package '<name>'` (`ERR_MODULE_NOT_FOUND`, from `import()`) or
 * `Cannot find module '<name>'` (`MODULE_NOT_FOUND`, from `require`) naming the package,
 * not a module or native part inside it.
 */
export function isMissingPackage(err: unknown, packageName: string): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return err.message.includes(`'${packageName}'`) || err.message.includes(`"${packageName}"`);
}

/** The hint appended when `packageName` (an optional peer dependency of pqble) is not installed. */
export function notInstalledHint(packageName: string): string {
  return `it is not installed. It is an optional peer dependency of pqble: run \`npm install ${packageName}\`; see docs/hardware.md "Installing the radio libraries"`;
}

/** The hint appended when a library is installed but its native part cannot be loaded. */
export function nativeBindingHint(packageName: string): string {
  const parts = `${packageName} @stoprocent/bluetooth-hci-socket`;
  return (
    `it is installed but its native part did not load. Run \`npm install-scripts approve ${parts}\` ` +
    `then \`npm rebuild ${parts}\`; see docs/hardware.md "Installing the radio libraries"`
  );
}

/**
 * A `PQBLE_ERR_RADIO_UNAVAILABLE` error. When `cause` is a loading failure the message ends
 * with what to do: `npm install <package>` if the package is not installed, the approve and
 * rebuild commands if its native part did not load.
 */
export function radioUnavailable(message: string, packageName: string, cause?: unknown): LinkError {
  let text = message;
  if (cause !== undefined && isMissingPackage(cause, packageName)) text = `${message}: ${notInstalledHint(packageName)}`;
  else if (cause !== undefined && isMissingNativeBinding(cause)) text = `${message}: ${nativeBindingHint(packageName)}`;
  return new LinkError('PQBLE_ERR_RADIO_UNAVAILABLE', text, cause === undefined ? {} : { cause });
}

/** The subset of a noble or bleno object used to wait for power. */
export interface PoweredRadioLike {
  /** Current adapter state. Reading it may start the library. */
  readonly state: string;
  /** Subscribes to events. */
  on(event: 'stateChange', listener: (state: string) => void): unknown;
  /** Unsubscribes. */
  removeListener(event: 'stateChange', listener: (state: string) => void): unknown;
}

/** Options of {@link waitForPoweredOn}. */
export interface WaitForPoweredOnOptions {
  /** Fails after this many ms with `PQBLE_ERR_RADIO_UNAVAILABLE`. */
  readonly timeoutMs: number;
  /** Cancels the wait (`PQBLE_ERR_ABORTED`). */
  readonly signal?: AbortSignal | undefined;
  /** The package name, for messages. */
  readonly packageName: string;
}

/**
 * Resolves once `radio.state` is `poweredOn`. Rejects with `PQBLE_ERR_RADIO_UNAVAILABLE`
 * at once for `unsupported` and `unauthorized`, or after `timeoutMs` if the state is still
 * anything else (`unknown`, `resetting`, `poweredOff`: the message names the last state);
 * `PQBLE_ERR_ABORTED` on abort. The state is read
 * before and again after the listener is attached: noble starts when its state is first
 * read, bleno when its first `stateChange` listener is added, and either may report a
 * state synchronously while starting.
 */
export function waitForPoweredOn(radio: PoweredRadioLike, options: WaitForPoweredOnOptions): Promise<void> {
  const { timeoutMs, signal, packageName } = options;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: PqbleError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      try {
        radio.removeListener('stateChange', onState);
      } catch {
        // a broken library object; nothing to undo
      }
      if (err === undefined) resolve();
      else reject(err);
    };
    let lastState = 'unknown';
    const check = (state: unknown): void => {
      if (typeof state === 'string') lastState = state;
      if (state === 'poweredOn') finish();
      else if (typeof state === 'string' && HOPELESS_STATES.has(state)) {
        finish(radioUnavailable(hopelessStateMessage(state, packageName), packageName));
      }
    };
    const onState = (state: string): void => check(state);
    const onAbort = (): void => finish(new AbortError(undefined, { cause: signal?.reason }));
    const timer = setTimeout(
      () =>
        finish(
          radioUnavailable(
            `no Bluetooth adapter is on: it did not power on within ${timeoutMs} ms (still ${lastState}; ${packageName}). ` +
              'Is one present, switched on and not blocked by rfkill?',
            packageName,
          ),
        ),
      timeoutMs,
    );
    if (signal?.aborted === true) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      // Read the state first: noble starts synchronously on that read (so a missing native
      // part throws here, not later on a tick), bleno starts when the listener is added.
      check(radio.state);
      if (settled) return;
      radio.on('stateChange', onState);
      check(radio.state);
    } catch (err) {
      finish(radioUnavailable(`${packageName} failed to start`, packageName, err));
    }
  });
}

/** What a final adapter state (`unsupported`, `unauthorized`) means, for the error message. */
function hopelessStateMessage(state: string, packageName: string): string {
  if (state === 'unauthorized') {
    return `not permitted to use the Bluetooth adapter: ${packageName} reports unauthorized; see docs/hardware.md for the permissions it needs`;
  }
  return `no usable Bluetooth adapter: ${packageName} reports ${state}, so none is present, or it or the OS lacks Bluetooth LE support`;
}

/** A BLE library module as noble and bleno export it: a default instance and a factory of fresh ones. */
export interface BleLibraryModule<L> {
  /** The library's default instance. */
  readonly default: L;
  /** Makes a fresh instance. */
  withBindings(): L;
}

/**
 * The instance of a BLE library that endpoints share when they were given none: imported
 * lazily on the first {@link SharedBleLibrary.acquire}, reference-counted, and stopped when
 * the last user releases it. A stopped instance cannot start again, so once the default
 * instance was handed out the next one is made with `withBindings()`.
 */
export class SharedBleLibrary<L> {
  readonly #packageName: string;
  readonly #load: () => Promise<BleLibraryModule<L>>;
  readonly #stop: (lib: L) => void | Promise<void>;
  #owned: { readonly lib: L; refs: number } | undefined;
  #defaultInstanceSpent = false;

  /**
   * @param packageName - the package name, for errors
   * @param load - imports the package (a literal `import()`, so bundlers see it)
   * @param stop - stops an instance that nobody uses any more
   */
  constructor(packageName: string, load: () => Promise<BleLibraryModule<L>>, stop: (lib: L) => void | Promise<void>) {
    this.#packageName = packageName;
    this.#load = load;
    this.#stop = stop;
  }

  /**
   * The shared instance, loaded (or made afresh) if nobody holds it.
   * @throws LinkError `PQBLE_ERR_RADIO_UNAVAILABLE` if the package or its native part cannot load
   */
  async acquire(): Promise<L> {
    const name = this.#packageName;
    let mod: BleLibraryModule<L>;
    try {
      mod = await this.#load();
    } catch (err) {
      throw radioUnavailable(`could not load ${name}`, name, err);
    }
    if (this.#owned !== undefined) {
      this.#owned.refs++;
      return this.#owned.lib;
    }
    let lib: L;
    try {
      lib = this.#defaultInstanceSpent ? mod.withBindings() : mod.default;
    } catch (err) {
      throw radioUnavailable(`${name} failed to start`, name, err);
    }
    this.#defaultInstanceSpent = true;
    this.#owned = { lib, refs: 1 };
    return lib;
  }

  /** Gives back `lib` (from {@link acquire}); the last release stops it. Other objects are ignored. */
  async release(lib: L): Promise<void> {
    if (this.#owned === undefined || this.#owned.lib !== lib) return;
    this.#owned.refs--;
    if (this.#owned.refs > 0) return;
    this.#owned = undefined;
    await this.#stop(lib);
  }
}

/**
 * After `stop()`: gives the stopped HCI socket of a noble or bleno instance, and the serial
 * port under it (HCI over UART), a no-op `error` listener. `stop()` removes their listeners
 * and closes the port, but a write the library had queued can still fail afterwards (EBADF
 * on a closed pty); with no listener that `error` event would crash the process. Every
 * private field is checked before it is touched.
 */
export function silenceStoppedSocket(lib: object): void {
  const field = (o: unknown, name: string): unknown => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[name] : undefined);
  const hci = field(field(lib, '_bindings'), '_hci');
  const socket = field(hci, '_socket');
  for (const emitter of [socket, field(socket, '_serialDevice')]) {
    if (emitter !== null && typeof emitter === 'object' && typeof (emitter as { on?: unknown }).on === 'function') {
      try {
        (emitter as { on: (event: string, listener: () => void) => void }).on('error', () => undefined);
      } catch {
        // not an EventEmitter after all
      }
    }
  }
}
