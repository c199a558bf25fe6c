/**
 * One measured connection setup on a simulated radio (README "What it does"): the hub
 * connects, sends a few messages the sensor echoes, closes, and both sides' setup figures
 * come back. Loads no Node.js module, so the browser demo (docs/web.md) runs it too.
 *
 * Used by the demo (src/demo/scenario.ts), the browser demo (src/web/scenario.ts) and the
 * benchmark.
 *
 * @module
 */

import type { Clock } from '../clock.js';
import type { BleTransport, ConnectionType } from '../transport/index.js';

/** Figures of one measured connection setup (both sides' view). */
export interface ConnectFigures {
  /** `'resumed'` or `'full-handshake'`. */
  readonly connectionType: ConnectionType;
  /** True if a resumption was refused and the full handshake followed on the same link. */
  readonly fellBack: boolean;
  /** Setup bytes on air, hub to sensor (link-layer overhead included). */
  readonly bytesOnAirToPeripheral: number;
  /** Setup bytes on air, sensor to hub. */
  readonly bytesOnAirToCentral: number;
  /** Setup payload bytes both ways (our framing included, BLE link-layer overhead excluded). */
  readonly setupPayloadBytes: number;
  /** Round trips the hub waited for. */
  readonly roundTrips: number;
  /** Simulated airtime of the setup, both directions (ms). */
  readonly airtimeMs: number;
  /** Simulated time from the radio link being up to the sensor receiving the first application message (ms). */
  readonly timeToFirstMessageMs: number;
  /**
   * Simulated link establishment before the setup (advertising, connect request, MTU exchange,
   * GATT discovery, CCCD write; docs/radio-model.md), ms; 0 if the radio does not report it.
   */
  readonly connectionEstablishmentMs: number;
  /** The whole reconnect: from the `connectToDevice()` call to the sensor receiving the first application message (ms). */
  readonly reconnectMs: number;
  /** CPU ms of the setup's cryptography, hub / sensor. */
  readonly cpuMsCentral: number;
  /** See {@link ConnectFigures.cpuMsCentral}. */
  readonly cpuMsPeripheral: number;
}

/**
 * Connects `hub` to the peripheral `deviceId` served by `sensor`, sends `messages` messages
 * that the sensor echoes, closes, and returns the setup's figures.
 */
export async function measureConnection(
  hub: BleTransport,
  sensor: BleTransport,
  deviceId: string,
  clock: Clock,
  options: { messages?: number; peerFingerprint?: string } = {},
): Promise<ConnectFigures> {
  const accepted = sensor.accept();
  const calledAt = clock.now();
  const conn = await hub.connectToDevice(deviceId, options.peerFingerprint === undefined ? {} : { peerFingerprint: options.peerFingerprint });
  const peer = await accepted;
  const setup = conn.stats();
  const peerSetup = peer.stats();
  // Echo server on the sensor: notes when the first application message arrives, answers each.
  let firstMessageAt = 0;
  const echo = (async (): Promise<void> => {
    for await (const m of peer.messages()) {
      if (firstMessageAt === 0) firstMessageAt = clock.now();
      await peer.send(m);
    }
  })();
  const messages = options.messages ?? 1;
  for (let i = 0; i < messages; i++) {
    await conn.send(new TextEncoder().encode(i === 0 ? 'temperature?' : `reading ${i}`));
    await conn.receive();
  }
  await conn.close();
  await echo.catch(() => undefined);
  const connectionEstablishmentMs = setup.link.connectionEstablishmentMs ?? 0;
  const linkUpAt = calledAt + connectionEstablishmentMs;
  return {
    connectionType: conn.connectionType,
    fellBack: setup.fellBack,
    bytesOnAirToPeripheral: setup.setupBytesOnAirSent,
    bytesOnAirToCentral: setup.setupBytesOnAirReceived,
    setupPayloadBytes: setup.setupBytesSent + setup.setupBytesReceived,
    roundTrips: setup.setupRoundTrips,
    airtimeMs: setup.setupAirtimeMs,
    timeToFirstMessageMs: firstMessageAt - linkUpAt,
    connectionEstablishmentMs,
    reconnectMs: firstMessageAt - calledAt,
    cpuMsCentral: setup.setupCpuMs,
    cpuMsPeripheral: peerSetup.setupCpuMs,
  };
}
