/**
 * Waiting for a BLE library's adapter to power on (docs/hardware.md "Power states"): the
 * states noble and bleno report, which of them are final, and what the error says when the
 * adapter never gets there (the adapter expected, see ./expected-adapter.ts).
 *
 * @module
 */

import { throwIfAborted } from '../errors.js';
import { raceAbort } from '../util/abort.js';
import { describeExpectedAdapter, type AdapterEnvironment } from './expected-adapter.js';
import { radioUnavailable } from './radio-unavailable.js';

/**
 * States after which waiting for `poweredOn` is pointless. `poweredOff` is not one of them:
 * both libraries report it while a controller initialises (before `poweredOn`), and real
 * adapters pass through it when Bluetooth is toggled.
 */
const HOPELESS_STATES: ReadonlySet<string> = new Set(['unsupported', 'unauthorized']);

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
  /** Where to look for the adapter expected, for messages. Default: this process. */
  readonly environment?: AdapterEnvironment | undefined;
}

/**
 * Resolves once `radio.state` is `poweredOn`. Rejects with `PQBLE_ERR_RADIO_UNAVAILABLE`
 * at once for `unsupported` and `unauthorized`, or after `timeoutMs` if the state is still
 * anything else (`unknown`, `resetting`, `poweredOff`); the message names the last state and
 * the adapter expected (or that there is none). `PQBLE_ERR_ABORTED` on abort. The state is
 * read before and again after the listener is attached: noble starts when its state is first
 * read, bleno when its first `stateChange` listener is added, and either may report a state
 * synchronously while starting.
 */
export async function waitForPoweredOn(radio: PoweredRadioLike, options: WaitForPoweredOnOptions): Promise<void> {
  const { timeoutMs, signal, packageName, environment } = options;
  throwIfAborted(signal);
  let lastState = 'unknown';
  let settled = false;
  let listening = false;
  let onState: (state: string) => void = () => undefined;
  const poweredOn = new Promise<void>((resolve, reject) => {
    const check = (state: unknown): void => {
      if (settled) return;
      if (typeof state === 'string') lastState = state;
      if (state === 'poweredOn') {
        settled = true;
        resolve();
      } else if (typeof state === 'string' && HOPELESS_STATES.has(state)) {
        settled = true;
        reject(radioUnavailable(hopelessStateMessage(state, packageName, environment), packageName));
      }
    };
    onState = check;
    try {
      // Read the state first: noble starts synchronously on that read (so a missing native
      // part throws here, not later on a tick), bleno starts when the listener is added.
      check(radio.state);
      if (settled) return;
      radio.on('stateChange', onState);
      listening = true;
      check(radio.state);
    } catch (err) {
      settled = true;
      reject(radioUnavailable(`${packageName} failed to start`, packageName, err));
    }
  });
  try {
    await raceAbort(poweredOn, signal, {
      timeoutMs,
      timeoutError: () => radioUnavailable(notOnMessage(timeoutMs, lastState, packageName, environment), packageName),
    });
  } finally {
    settled = true;
    if (listening) {
      try {
        radio.removeListener('stateChange', onState);
      } catch {
        // a broken library object; nothing to undo
      }
    }
  }
}

/** The message of an adapter still not `poweredOn` after `timeoutMs`. */
function notOnMessage(timeoutMs: number, state: string, packageName: string, environment: AdapterEnvironment | undefined): string {
  const expected = describeExpectedAdapter(packageName, environment);
  if (expected.missing) return `${expected.text}; ${packageName} did not power on within ${timeoutMs} ms (still ${state})`;
  return `the Bluetooth adapter did not power on within ${timeoutMs} ms (still ${state}; ${packageName}); ${expected.text}. Is it switched on and not blocked by rfkill?`;
}

/** What a final adapter state (`unsupported`, `unauthorized`) means, for the error message. */
function hopelessStateMessage(state: string, packageName: string, environment: AdapterEnvironment | undefined): string {
  if (state === 'unauthorized') {
    return `not permitted to use the Bluetooth adapter: ${packageName} reports unauthorized; see docs/hardware.md for the permissions it needs`;
  }
  const expected = describeExpectedAdapter(packageName, environment);
  if (expected.missing) return `${expected.text} (${packageName} reports ${state})`;
  return `no usable Bluetooth adapter: ${packageName} reports ${state}, so it or the OS lacks Bluetooth LE support; ${expected.text}`;
}
