/**
 * Carrying a TLS byte stream over a BLE {@link Link} (docs/benchmarks-tls.md "Transport"):
 * every chunk the TLS socket writes becomes one message of our framing (docs/framing.md),
 * cut into ATT-sized packets with `fragmentMessage` and sent with `Link.send`; the peer's
 * {@link Reassembler} puts the message back together and pushes it into its TLS socket.
 * Packet sizes follow the same rule as pqble's secure channel: airtime-aware
 * (`airtimePacketPolicy(link.timing)`) when the link tells its radio timing, full-size
 * otherwise. So TLS pays exactly the same fragmentation and airtime model as pqble does.
 *
 * @module
 */

import { Duplex } from 'node:stream';
import type { Clock } from '../../src/clock.js';
import { PqbleError } from '../../src/errors.js';
import { MessageIdAllocator, Reassembler, airtimePacketPolicy, fragmentMessage, type FragmentOptions } from '../../src/framing/index.js';
import type { Link } from '../../src/link/types.js';

/** One chunk written by a TLS socket into the bridge. */
export interface TlsChunkRecord {
  /** Which side wrote it. */
  readonly from: 'client' | 'server';
  /** TLS bytes in the chunk (before framing). */
  readonly bytes: number;
  /** Clock time (ms) when it was written. */
  readonly atMs: number;
  /** A copy of the chunk (the hellos are parsed from it). */
  readonly data?: Uint8Array;
}

/** Options of {@link LinkDuplex}. */
export interface LinkDuplexOptions {
  /** The link this side sends and receives on. */
  readonly link: Link;
  /** Which TLS side uses this duplex (for the chunk log). */
  readonly side: 'client' | 'server';
  /** The clock used for timestamps and reassembly timeouts (the radio's). */
  readonly clock: Clock;
  /** Shared log every written chunk is appended to. */
  readonly log: TlsChunkRecord[];
}

/**
 * A Duplex stream whose writable side sends over a {@link Link} and whose readable side
 * yields what the peer sent; hand it to `tls.connect({ socket })` or a TLS server's
 * `'connection'` event. Writes are sent strictly in order; a write's callback fires once
 * all its packets were accepted by the radio (so the radio's flow control applies).
 */
export class LinkDuplex extends Duplex {
  readonly #link: Link;
  readonly #side: 'client' | 'server';
  readonly #clock: Clock;
  readonly #log: TlsChunkRecord[];
  readonly #ids = new MessageIdAllocator();
  readonly #reassembler: Reassembler;
  readonly #fragment: FragmentOptions;
  readonly #unsubscribe: (() => void)[] = [];
  #sending: Promise<void> = Promise.resolve();
  #pendingWrites = 0;

  /** @param options - see {@link LinkDuplexOptions} */
  constructor(options: LinkDuplexOptions) {
    super({ allowHalfOpen: false });
    this.#link = options.link;
    this.#side = options.side;
    this.#clock = options.clock;
    this.#log = options.log;
    this.#reassembler = new Reassembler({ clock: options.clock });
    // The secure channel's rule (src/transport/channel.ts), so both sides of the comparison fragment alike.
    const timing = this.#link.timing;
    this.#fragment = timing === undefined ? {} : { packetSize: airtimePacketPolicy(timing) };
    this.#unsubscribe.push(
      this.#link.onPacket((packet) => this.#onPacket(packet)),
      this.#link.onClose((reason) => {
        if (!this.destroyed) this.destroy(reason);
      }),
    );
  }

  /** `'airtime'` if packets are sized by the link's radio timing (as pqble's), `'fixed'` if every packet is as large as the link allows. */
  get packetSizing(): 'airtime' | 'fixed' {
    return this.#fragment.packetSize === undefined ? 'fixed' : 'airtime';
  }

  /** Writes still being handed to the radio. */
  get pendingWrites(): number {
    return this.#pendingWrites;
  }

  #onPacket(packet: Uint8Array): void {
    if (this.destroyed) return;
    let message: Uint8Array | undefined;
    try {
      message = this.#reassembler.push(packet);
    } catch (err) {
      this.destroy(err instanceof Error ? err : new PqbleError('PQBLE_ERR_INTERNAL', 'reassembly failed', { cause: err }));
      return;
    }
    if (message === undefined) return;
    this.push(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
  }

  override _read(): void {
    // Data is pushed as it arrives from the link.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#log.push({ from: this.#side, bytes: bytes.length, atMs: this.#clock.now(), data: bytes.slice() });
    let packets: Uint8Array[];
    try {
      packets = fragmentMessage(bytes, this.#ids.next(), this.#link.maxPayloadBytes, this.#fragment);
    } catch (err) {
      callback(err instanceof Error ? err : new PqbleError('PQBLE_ERR_INTERNAL', 'fragmentation failed', { cause: err }));
      return;
    }
    this.#pendingWrites++;
    this.#sending = this.#sending
      .then(async () => {
        for (const packet of packets) await this.#link.send(packet);
      })
      .then(
        () => {
          this.#pendingWrites--;
          callback();
        },
        (err: unknown) => {
          this.#pendingWrites--;
          callback(err instanceof Error ? err : new PqbleError('PQBLE_ERR_INTERNAL', 'link send failed', { cause: err }));
        },
      );
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#reassembler.reset();
    callback(error);
  }
}
