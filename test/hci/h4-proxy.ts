/**
 * An H4 (HCI over UART) proxy between one host (a pqble process, through socat's pty) and
 * one of btvirt's virtual controllers (docs/hardware.md "Try it without hardware").
 *
 * It forwards whole HCI packets both ways, counts ACL traffic, and follows the controller's
 * LE connections (LE Connection Complete, Disconnection Complete). That is what lets the
 * harness model what btvirt does not: a device that vanishes (its process killed). btvirt
 * drops both ends of a connection silently when a controller is reset or destroyed, so
 * the surviving host would never learn of the loss; {@link H4Proxy.vanish} resets the
 * vanished device's controller and tells each peer host "Disconnection Complete, reason
 * 0x08 (connection timeout)", as a real link's supervision timeout would.
 */

import { connect, createServer, type Server, type Socket } from 'node:net';

/** H4 packet types. */
const H4_COMMAND = 0x01;
const H4_ACL = 0x02;
const H4_SCO = 0x03;
const H4_EVENT = 0x04;
const H4_ISO = 0x05;

const EVT_DISCONNECTION_COMPLETE = 0x05;
const EVT_COMMAND_COMPLETE = 0x0e;
const EVT_COMMAND_STATUS = 0x0f;
const EVT_LE_META = 0x3e;
const LE_CONNECTION_COMPLETE = 0x01;
const LE_ENHANCED_CONNECTION_COMPLETE = 0x0a;
const OP_RESET = 0x0c03;
const OP_DISCONNECT = 0x0406;
const OP_READ_BD_ADDR = 0x1009;
const OP_LE_SET_ADV_PARAMETERS = 0x2006;
const OP_LE_SET_ADV_ENABLE = 0x200a;
const OP_LE_CREATE_CONNECTION = 0x200d;
const OP_LE_EXT_CREATE_CONNECTION = 0x2043;
const REASON_CONNECTION_TIMEOUT = 0x08;
const ROLE_PERIPHERAL = 0x01;
/** btdev's first ACL connection handle (ACL_HANDLE in emulator/btdev.c). */
const FIRST_ACL_HANDLE = 42;
/** Largest H4 packet: ACL/ISO header + 65535 bytes. */
const MAX_PACKET = 5 + 65_535;

/** Splits an H4 byte stream into whole packets; `undefined` from {@link push} means the stream is not H4. */
export class H4Splitter {
  #buffer: Buffer = Buffer.alloc(0);

  /** Appends `chunk`; returns the whole packets now available, or `undefined` on an unknown packet type. */
  push(chunk: Buffer): Buffer[] | undefined {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const b = this.#buffer;
      if (b.length === 0) return out;
      const size = packetSize(b);
      if (size === null) return undefined;
      if (size === undefined || b.length < size) {
        if (b.length > MAX_PACKET) return undefined;
        return out;
      }
      out.push(b.subarray(0, size));
      this.#buffer = b.subarray(size);
    }
  }
}

/** Total size of the packet at the start of `b`: `undefined` if its header is incomplete, `null` for an unknown type. */
function packetSize(b: Buffer): number | undefined | null {
  switch (b[0]) {
    case H4_COMMAND:
    case H4_SCO:
      return b.length < 4 ? undefined : 4 + b[3];
    case H4_EVENT:
      return b.length < 3 ? undefined : 3 + b[2];
    case H4_ACL:
      return b.length < 5 ? undefined : 5 + b.readUInt16LE(3);
    case H4_ISO:
      return b.length < 5 ? undefined : 5 + (b.readUInt16LE(3) & 0x3fff);
    default:
      return null;
  }
}

/** A BLE address in HCI order (little-endian) as `aa:bb:cc:dd:ee:ff`. */
function addressAt(b: Buffer, offset: number): string {
  return [...b.subarray(offset, offset + 6)]
    .reverse()
    .map((x) => x.toString(16).padStart(2, '0'))
    .join(':');
}

/** ACL traffic through one proxy (payload bytes: L2CAP and ATT headers included, H4/HCI headers excluded). */
export interface H4Stats {
  /** ACL packets the host sent to its controller. */
  readonly aclPacketsFromHost: number;
  /** ACL payload bytes the host sent. */
  readonly aclBytesFromHost: number;
  /** ACL packets the controller delivered to its host. */
  readonly aclPacketsToHost: number;
  /** ACL payload bytes delivered. */
  readonly aclBytesToHost: number;
}

/** One controller's proxy: a Unix socket for socat on one side, btvirt's server socket on the other. */
export class H4Proxy {
  /** The controller's address (read from it with Read BD_ADDR before any host is attached). */
  address = '';
  /** Open LE connections of this controller: handle -> peer address. */
  readonly connections = new Map<number, string>();
  /**
   * How long a host's LE Create Connection waits before it reaches btvirt (ms): about what a
   * radio takes to catch the peer's next advertising event (bleno advertises every 100 ms).
   */
  connectDelayMs = 50;
  /** Connections whose two ends got different handles (btvirt cannot carry data on them; see {@link reserveHandles}). */
  handleMismatches = 0;
  readonly #listenPath: string;
  readonly #btvirtPath: string;
  readonly #peers: () => readonly H4Proxy[];
  #server: Server | undefined;
  #upstream: Socket | undefined;
  #host: Socket | undefined;
  #swallow = false;
  /** Host packets held back (see #reserveAfterReset). */
  #held: Buffer[] | undefined;
  /** Handles kept taken on this controller (see reserveHandles). */
  #reservation: { readonly dummy: H4Proxy; readonly count: number } | undefined;
  /** Controller packets the host must not see (the harness's own connections). */
  #hidden: ((packet: Buffer) => boolean) | undefined;
  #broken = false;
  readonly #commandWaiters = new Map<number, (status: number, packet: Buffer) => void>();
  #stats = { aclPacketsFromHost: 0, aclBytesFromHost: 0, aclPacketsToHost: 0, aclBytesToHost: 0 };

  /**
   * @param listenPath - the Unix socket socat connects to
   * @param btvirtPath - btvirt's LE server socket
   * @param peers - every proxy of the emulator (to find a vanished device's peers)
   */
  constructor(listenPath: string, btvirtPath: string, peers: () => readonly H4Proxy[]) {
    this.#listenPath = listenPath;
    this.#btvirtPath = btvirtPath;
    this.#peers = peers;
  }

  /** Connects to btvirt (a new controller), reads its address, and listens for the host. */
  async start(timeoutMs = 5000): Promise<void> {
    // btvirt binds its socket before it listens: a connect in between is refused, so retry.
    const deadline = Date.now() + timeoutMs;
    let upstream: Socket;
    for (;;) {
      const attempt = connect(this.#btvirtPath);
      try {
        await new Promise<void>((resolve, reject) => {
          attempt.once('connect', resolve);
          attempt.once('error', reject);
        });
        upstream = attempt;
        break;
      } catch (err) {
        attempt.destroy();
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    this.#upstream = upstream;
    upstream.on('error', () => undefined);
    const splitter = new H4Splitter();
    upstream.on('data', (chunk: Buffer) => {
      if (this.#broken) {
        if (!this.#swallow) this.#host?.write(chunk);
        return;
      }
      const packets = splitter.push(chunk);
      if (packets === undefined) {
        this.#broken = true;
        if (!this.#swallow) this.#host?.write(chunk);
        return;
      }
      for (const packet of packets) {
        this.#fromController(packet);
        if (!this.#swallow && this.#hidden?.(packet) !== true) this.#host?.write(packet);
      }
    });
    // No host yet: swallow the answer to our own Read BD_ADDR.
    this.#swallow = true;
    const packet = await this.#command(OP_READ_BD_ADDR, timeoutMs);
    this.address = addressAt(packet, 7);
    this.#swallow = false;
    this.#server = createServer((socket) => this.#attachHost(socket));
    await new Promise<void>((resolve, reject) => {
      this.#server?.once('error', reject);
      this.#server?.listen(this.#listenPath, resolve);
    });
  }

  /** ACL counters so far. */
  stats(): H4Stats {
    return { ...this.#stats };
  }

  #attachHost(socket: Socket): void {
    this.#host?.destroy();
    this.#host = socket;
    socket.on('error', () => undefined);
    const splitter = new H4Splitter();
    let broken = false;
    socket.on('data', (chunk: Buffer) => {
      // A new host process talks: what the controller says from now on is for it.
      this.#swallow = false;
      const packets = broken ? undefined : splitter.push(chunk);
      if (packets === undefined) {
        broken = true;
        this.#toController(chunk);
        return;
      }
      for (const p of packets) {
        if (p[0] === H4_ACL) {
          this.#stats.aclPacketsFromHost++;
          this.#stats.aclBytesFromHost += p.length - 5;
        }
        const opcode = p[0] === H4_COMMAND && p.length >= 3 ? p.readUInt16LE(1) : -1;
        if ((opcode === OP_LE_CREATE_CONNECTION || opcode === OP_LE_EXT_CREATE_CONNECTION) && this.connectDelayMs > 0) this.#holdFor(this.connectDelayMs);
        this.#toController(p);
        if (opcode === OP_RESET && this.#reservation !== undefined) this.#reserveAfterReset();
      }
    });
  }

  /**
   * Holds the host's packets (this one and what follows) for `ms`. A connection request
   * waits so, as a radio's would for the peer's next advertising event: btvirt connects at
   * once, which no radio does.
   */
  #holdFor(ms: number): void {
    if (this.#held !== undefined) return; // already held (a reservation); released with it
    const held: Buffer[] = [];
    this.#held = held;
    setTimeout(() => {
      if (this.#held === held) this.#held = undefined;
      for (const b of held) this.#upstream?.write(b);
    }, ms);
  }

  /** Host bytes to the controller, or held back while the harness re-reserves handles. */
  #toController(bytes: Buffer): void {
    if (this.#held !== undefined) this.#held.push(bytes);
    else this.#upstream?.write(bytes);
  }

  /**
   * The host reset its controller, which drops the reserved connections: hold the host's
   * next packets, let the reset complete, reserve again, then let them through.
   */
  #reserveAfterReset(): void {
    const reservation = this.#reservation;
    if (reservation === undefined) return;
    const held: Buffer[] = [];
    this.#held = held;
    const resetDone = new Promise<void>((resolve) => {
      const previous = this.#commandWaiters.get(OP_RESET);
      this.#commandWaiters.set(OP_RESET, (status, packet) => {
        previous?.(status, packet);
        resolve();
      });
    });
    void (async () => {
      try {
        await resetDone;
        for (let i = 0; i < reservation.count; i++) await this.#reserveOnce(reservation.dummy);
      } catch {
        // the run is ending; let the host's packets through anyway
      } finally {
        if (this.#held === held) this.#held = undefined;
        for (const b of held) this.#upstream?.write(b);
      }
    })();
  }

  #fromController(p: Buffer): void {
    if (p[0] === H4_ACL) {
      this.#stats.aclPacketsToHost++;
      this.#stats.aclBytesToHost += p.length - 5;
      return;
    }
    if (p[0] !== H4_EVENT || p.length < 3) return;
    const code = p[1];
    if (code === EVT_COMMAND_COMPLETE && p.length >= 7) {
      const opcode = p.readUInt16LE(4);
      if (opcode === OP_RESET) this.connections.clear(); // btdev_reset drops every connection
      const waiter = this.#commandWaiters.get(opcode);
      if (waiter !== undefined) {
        this.#commandWaiters.delete(opcode);
        waiter(p[6], p);
      }
    } else if (code === EVT_DISCONNECTION_COMPLETE && p.length >= 7 && p[3] === 0) {
      this.connections.delete(p.readUInt16LE(4) & 0x0fff);
    } else if (code === EVT_LE_META && p.length >= 4) {
      const sub = p[3];
      if ((sub === LE_CONNECTION_COMPLETE || sub === LE_ENHANCED_CONNECTION_COMPLETE) && p.length >= 15 && p[4] === 0) {
        const handle = p.readUInt16LE(5) & 0x0fff;
        if (p[7] === ROLE_PERIPHERAL) {
          // btvirt tells the peripheral the CENTRAL's handle (le_conn_complete uses
          // conn->handle), and forwards ACL data with the sender's handle. Each end takes
          // the lowest free handle from 42 on its own controller, so this only works while
          // both ends pick the same number (see reserveHandles).
          let own = FIRST_ACL_HANDLE;
          while (this.connections.has(own)) own++;
          if (own !== handle) this.handleMismatches++;
        }
        this.connections.set(handle, addressAt(p, 9));
      }
    }
  }

  /** Sends a command straight to the controller and waits for its Command Complete. */
  #command(opcode: number, timeoutMs: number, params: readonly number[] = []): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#commandWaiters.delete(opcode);
        reject(new Error(`controller did not answer command 0x${opcode.toString(16)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#commandWaiters.set(opcode, (_status, packet) => {
        clearTimeout(timer);
        resolve(packet);
      });
      this.#upstream?.write(Buffer.from([H4_COMMAND, opcode & 0xff, opcode >> 8, params.length, ...params]));
    });
  }

  /**
   * Makes this controller (with no host attached) advertise connectably, so that
   * {@link reserveHandles} can connect to it. Safe to call again (after each connection).
   */
  async advertiseAsDummy(timeoutMs = 5000): Promise<void> {
    // LE Set Advertising Parameters: 100 ms, ADV_IND, public address, all channels.
    await this.#command(OP_LE_SET_ADV_PARAMETERS, timeoutMs, [0xa0, 0x00, 0xa0, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x07, 0x00]);
    // LE Set Advertise Enable (Command Disallowed if it is on already: fine).
    await this.#command(OP_LE_SET_ADV_ENABLE, timeoutMs, [0x01]);
  }

  /**
   * Keeps `count` connection handles of this (central) controller taken, with connections
   * to `dummy` that the host never sees, now and again after every HCI Reset of the host
   * (noble resets the controller before its first connection). btvirt forwards ACL data
   * with the sender's handle, so both ends of a connection must get the same number: a
   * central that connects to a peripheral already serving k centrals must hold k handles.
   */
  async reserveHandles(dummy: H4Proxy, count: number, timeoutMs = 5000): Promise<void> {
    this.#reservation = { dummy, count };
    for (let i = 0; i < count; i++) await this.#reserveOnce(dummy, timeoutMs);
  }

  async #reserveOnce(dummy: H4Proxy, timeoutMs = 5000): Promise<number> {
    await dummy.advertiseAsDummy(timeoutMs);
    const target = dummy.address;
    const isOurs = (p: Buffer): boolean =>
      p[0] === H4_EVENT &&
      ((p[1] === EVT_COMMAND_STATUS && p.length >= 7 && p.readUInt16LE(5) === OP_LE_CREATE_CONNECTION) ||
        (p[1] === EVT_LE_META &&
          p.length >= 15 &&
          (p[3] === LE_CONNECTION_COMPLETE || p[3] === LE_ENHANCED_CONNECTION_COMPLETE) &&
          addressAt(p, 9) === target));
    const previous = this.#hidden;
    this.#hidden = (p) => isOurs(p) || previous?.(p) === true;
    try {
      const before = new Set(this.connections.keys());
      const deadline = Date.now() + timeoutMs;
      const peer = target
        .split(':')
        .reverse()
        .map((x) => parseInt(x, 16));
      // LE Create Connection: scan 60/30 ms, public peer address, 30..50 ms interval, 5 s supervision.
      // prettier-ignore
      const params = [0x60, 0x00, 0x30, 0x00, 0x00, 0x00, ...peer, 0x00, 0x18, 0x00, 0x28, 0x00, 0x00, 0x00, 0xf4, 0x01, 0x00, 0x00, 0x00, 0x00];
      this.#upstream?.write(Buffer.from([H4_COMMAND, OP_LE_CREATE_CONNECTION & 0xff, OP_LE_CREATE_CONNECTION >> 8, params.length, ...params]));
      for (;;) {
        const added = [...this.connections].find(([h, a]) => a === target && !before.has(h));
        if (added !== undefined) return added[0];
        if (Date.now() > deadline) throw new Error(`could not reserve a connection handle on ${this.address}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      this.#hidden = previous;
    }
  }

  /**
   * Drops every connection of this controller as if the peer went out of range: an HCI
   * Disconnect with reason 0x08 (connection timeout) straight to the controller, which
   * tells both hosts "Disconnection Complete, 0x08". The host does not see the command's
   * status.
   */
  async dropConnections(timeoutMs = 5000): Promise<void> {
    const handles = [...this.connections.keys()];
    const previous = this.#hidden;
    this.#hidden = (p) => (p[0] === H4_EVENT && p[1] === EVT_COMMAND_STATUS && p.length >= 7 && p.readUInt16LE(5) === OP_DISCONNECT) || previous?.(p) === true;
    try {
      for (const handle of handles) {
        this.#upstream?.write(Buffer.from([H4_COMMAND, OP_DISCONNECT & 0xff, OP_DISCONNECT >> 8, 3, handle & 0xff, handle >> 8, REASON_CONNECTION_TIMEOUT]));
      }
      const deadline = Date.now() + timeoutMs;
      while (handles.some((h) => this.connections.has(h))) {
        if (Date.now() > deadline) throw new Error(`the controller ${this.address} did not drop its connections`);
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      this.#hidden = previous;
    }
  }

  /** Delivers a Disconnection Complete for `handle` to this controller's host (a supervision timeout). */
  #injectDisconnect(handle: number): void {
    this.connections.delete(handle);
    this.#host?.write(Buffer.from([H4_EVENT, EVT_DISCONNECTION_COMPLETE, 4, 0, handle & 0xff, handle >> 8, REASON_CONNECTION_TIMEOUT]));
  }

  /**
   * The device vanished (its host process was killed): its controller is reset (btvirt then
   * drops both ends of each of its connections, silently) and every peer's host is told the
   * link timed out. What the controller says until a new host talks is swallowed.
   */
  async vanish(timeoutMs = 5000): Promise<void> {
    this.#swallow = true;
    const lost = [...this.connections.values()];
    await this.#command(OP_RESET, timeoutMs);
    this.connections.clear();
    for (const peer of this.#peers()) {
      if (peer === this || !lost.includes(peer.address)) continue;
      for (const [handle, address] of [...peer.connections]) if (address === this.address) peer.#injectDisconnect(handle);
    }
  }

  /** Closes both sockets and the listener. */
  async close(): Promise<void> {
    this.#host?.destroy();
    this.#upstream?.destroy();
    for (const waiter of this.#commandWaiters.values()) waiter(0xff, Buffer.alloc(0));
    this.#commandWaiters.clear();
    const server = this.#server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
