/**
 * The instance of a BLE library (noble or bleno) that the adapters share when they were
 * given none: imported lazily, reference-counted, and stopped so that the process can exit
 * (docs/hardware.md).
 *
 * @module
 */

import { radioUnavailable } from './radio-unavailable.js';

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
