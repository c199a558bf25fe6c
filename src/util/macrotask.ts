/**
 * One macrotask turn, in Node and in a browser: `setImmediate` where it exists (Node), else
 * a `MessageChannel` message (browsers, where `setTimeout(0)` is clamped to 4 ms once nested).
 * The virtual clock (docs/radio-model.md "Virtual time") yields through it so that the
 * simulated radio runs in both (docs/web.md).
 *
 * @module
 */

type Task = () => void;

/** The part of a browser's `MessagePort` used here. */
interface Port {
  onmessage: (() => void) | null;
  postMessage(message: null): void;
}

const nodeImmediate = (globalThis as { setImmediate?: (fn: Task) => unknown }).setImmediate;
const Channel = (globalThis as unknown as { MessageChannel?: new () => { port1: Port; port2: Port } }).MessageChannel;

let sender: Port | undefined;
const waiting: Task[] = [];

function viaMessageChannel(fn: Task): void {
  if (sender === undefined) {
    if (Channel === undefined) throw new TypeError('this platform has neither setImmediate nor MessageChannel');
    const channel = new Channel();
    channel.port1.onmessage = () => waiting.shift()?.();
    sender = channel.port2;
  }
  waiting.push(fn);
  sender.postMessage(null);
}

/** Runs `fn` in a later macrotask, after the current job and its promise continuations. */
export function scheduleMacrotask(fn: Task): void {
  if (typeof nodeImmediate === 'function') nodeImmediate(fn);
  else viaMessageChannel(fn);
}
