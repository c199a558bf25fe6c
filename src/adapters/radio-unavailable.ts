/**
 * Coded "radio unavailable" errors of the noble and bleno adapters (docs/hardware.md
 * "Installing the radio libraries"): when a library or its native part cannot be loaded the
 * message ends with what to do, naming the package in full.
 *
 * @module
 */

import { LinkError } from '../errors.js';

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
function notInstalledHint(packageName: string): string {
  return `it is not installed. It is an optional peer dependency of pqble: run \`npm install ${packageName}\`; see docs/hardware.md "Installing the radio libraries"`;
}

/** The hint appended when a library is installed but its native part cannot be loaded. */
function nativeBindingHint(packageName: string): string {
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
