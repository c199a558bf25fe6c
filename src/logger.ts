/**
 * Logging seam. pqble logs rarely: warnings for fallbacks the caller should know about
 * (a damaged cache file set aside, a save that failed). Messages never contain key material.
 *
 * @module
 */

/** Where pqble writes its warnings. Structured fields are plain JSON-able values. */
export interface Logger {
  /** Something went wrong and pqble recovered (for example a corrupt cache file set aside). */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Optional detail, off by default. */
  debug?(message: string, fields?: Record<string, unknown>): void;
}

/** The default logger: warnings to stderr through `process.emitWarning` (`console.warn` outside Node), prefixed with `pqble:`; debug dropped. */
export const consoleLogger: Logger = {
  warn(message, fields) {
    const text = fields === undefined ? message : `${message} ${JSON.stringify(fields)}`;
    const proc = (globalThis as { process?: { emitWarning?: (text: string, options: { code: string }) => void } }).process;
    if (typeof proc?.emitWarning === 'function') proc.emitWarning(text, { code: 'PQBLE_WARNING' });
    else console.warn(text);
  },
};

/** A logger that drops everything (for tests and benchmarks). */
export const silentLogger: Logger = { warn() {} };
