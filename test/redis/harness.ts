// Real Redis for the fleet store tests: redis-server (from PATH) on free loopback ports with
// temp dirs, single servers, replicas and a three-master Redis Cluster, killed, restarted
// and paused (SIGSTOP) on demand. Tests skip with one line when redis-server is absent.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesToHex, randomBytes } from '../../src/bytes.js';
import type { StoredSession } from '../../src/session/store.js';
import type { FleetKey, RedisSessionStoreOptions } from '../../src/session/redis/index.js';
import { RedisSessionStore } from '../../src/session/redis/index.js';
import { silentLogger } from '../../src/logger.js';

/** Why the Redis tests cannot run here, or undefined when redis-server is on PATH. */
export const REDIS_SKIP: string | undefined = (() => {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return 'redis-server not found on PATH (apt-get install redis-server redis-tools): Redis store tests skipped';
  return undefined;
})();

/** A free loopback TCP port (and, for cluster nodes, its bus port + 10000 is checked too). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr !== null ? addr.port : 0));
      });
    });
    if (port > 0 && port < 55000) return port;
  }
}

/** Sends one inline command and returns the first reply line (for readiness checks). */
export function rawCommand(port: number, command: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (v: string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(''), timeoutMs);
    sock.on('error', () => done(''));
    sock.on('connect', () => sock.write(`${command}\r\n`));
    sock.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data);
    });
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** One redis-server process. */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly #extra: readonly string[];
  #proc: ChildProcess | undefined;

  private constructor(port: number, dir: string, extra: readonly string[]) {
    this.port = port;
    this.dir = dir;
    this.#extra = extra;
  }

  /** Starts a server (AOF with fsync always, so a restart keeps every acknowledged write). */
  static async start(extra: readonly string[] = []): Promise<RedisServer> {
    const dir = await mkdtemp(join(tmpdir(), 'pqble-redis-'));
    const server = new RedisServer(await freePort(), dir, extra);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the process on the same port and directory and waits for PONG. */
  async restart(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--protected-mode',
      'no',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      '--repl-diskless-sync-delay',
      '0',
      ...this.#extra,
    ];
    this.#proc = spawn('redis-server', args, { stdio: 'ignore' });
    this.#proc.on('error', () => {});
    for (let i = 0; i < 200; i++) {
      if ((await rawCommand(this.port, 'PING')).startsWith('+PONG')) return;
      await sleep(25);
    }
    throw new Error(`redis-server on port ${this.port} did not start`);
  }

  /** SIGKILLs the process and waits until it is gone. */
  async kill(): Promise<void> {
    const p = this.#proc;
    this.#proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGCONT');
    p.kill('SIGKILL');
    await gone;
  }

  /** SIGSTOP: the socket stays open, nothing answers. */
  pause(): void {
    this.#proc?.kill('SIGSTOP');
  }

  /** SIGCONT. */
  resume(): void {
    this.#proc?.kill('SIGCONT');
  }

  /** Runs redis-cli against this server; returns stdout. */
  cli(...args: string[]): string {
    const r = spawnSync('redis-cli', ['-p', String(this.port), ...args], { encoding: 'utf8' });
    return r.stdout;
  }

  /** Kills the process and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A three-master Redis Cluster on loopback (no replicas). */
export class RedisCluster {
  readonly nodes: readonly RedisServer[];

  private constructor(nodes: readonly RedisServer[]) {
    this.nodes = nodes;
  }

  static async start(): Promise<RedisCluster> {
    const nodes: RedisServer[] = [];
    for (let i = 0; i < 3; i++)
      nodes.push(await RedisServer.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000']));
    const r = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`redis-cli --cluster create failed: ${r.stdout}${r.stderr}`);
    for (let i = 0; i < 200; i++) {
      const states = await Promise.all(nodes.map((n) => rawCommand(n.port, 'CLUSTER INFO')));
      if (states.every((s) => s.includes('cluster_state:ok'))) return new RedisCluster(nodes);
      await sleep(50);
    }
    throw new Error('the Redis Cluster did not reach cluster_state:ok');
  }

  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/** A fleet's keys for tests. */
export interface TestFleet {
  readonly storageKey: FleetKey;
  readonly blindingKey: Uint8Array;
  readonly namespace: string;
}

/** Fresh fleet keys and a unique namespace. */
export function testFleet(): TestFleet {
  return { storageKey: { id: 1, key: randomBytes(32) }, blindingKey: randomBytes(32), namespace: `t${Buffer.from(randomBytes(6)).toString('hex')}` };
}

/** Opens a store on `target` for `fleet` (silent logger unless given). */
export function openStore(
  target: { url: string } | { cluster: { host: string; port: number }[] },
  fleet: TestFleet,
  extra: Partial<RedisSessionStoreOptions> = {},
): Promise<RedisSessionStore> {
  return RedisSessionStore.open({
    ...target,
    storageKey: fleet.storageKey,
    blindingKey: fleet.blindingKey,
    namespace: fleet.namespace,
    logger: silentLogger,
    timeoutMs: 1000,
    ...extra,
  });
}

/** A random stored session established `ageMs` ago. */
export function sampleSession(nowMs = Date.now(), ageMs = 60_000): StoredSession {
  return {
    peerFingerprint: bytesToHex(randomBytes(32)),
    deviceId: bytesToHex(randomBytes(6)),
    establishedMs: nowMs - ageMs,
    lastActiveMs: nowMs - ageMs,
    outbound: randomBytes(32),
    inbound: { secret: randomBytes(32), ticketId: randomBytes(16) },
  };
}

/** Rejects unless `p` rejects with a PqbleError of `code`; resolves the elapsed ms. */
export async function rejectsWithCode(p: Promise<unknown>, codes: readonly string[]): Promise<number> {
  const t0 = performance.now();
  try {
    await p;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && codes.includes(code)) return performance.now() - t0;
    throw new Error(`expected one of ${codes.join(', ')}, got ${String(code)}: ${String(err)}`, { cause: err });
  }
  throw new Error(`expected a rejection with ${codes.join(', ')}, it resolved`);
}
