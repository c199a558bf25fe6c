/**
 * The HCI harness (docs/hardware.md "Try it without hardware"): BlueZ's emulator `btvirt`
 * in server mode with its own socket directory, one virtual LE controller per device
 * (socat pty -> {@link H4Proxy} -> btvirt), and pqble devices in child processes
 * (test/hci/fixtures/agent.ts, or the `pqble` CLI) that run the REAL noble and bleno over
 * those ptys. Every process it starts is ended on close, on failure, and (as a backstop)
 * when the test process exits.
 *
 * btvirt needs AF_ALG sockets, which containers and some kernels lack; the harness builds
 * test/hci/af-alg-shim.c with the system C compiler and preloads it into btvirt (the shim
 * also moves btvirt's fixed /tmp/bt-server-* sockets into the run's own directory).
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { H4Proxy } from './h4-proxy.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHIM_SOURCE = join(HERE, 'af-alg-shim.c');
const AGENT = join(HERE, 'fixtures', 'agent.ts');
/** The repository root. */
export const ROOT = join(HERE, '..', '..');

/** Every child process any harness started and not yet seen exit (killed when the test process exits). */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** The path of executable `name` on PATH, or `undefined`. */
function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why the HCI tests cannot run here, or `undefined` if they can. */
export function hciSkipReason(): string | undefined {
  if (process.platform !== 'linux') return `the HCI emulator needs Linux (this is ${process.platform})`;
  const missing = ['btvirt', 'socat'].filter((t) => which(t) === undefined);
  if (which('cc') === undefined && which('gcc') === undefined) missing.push('cc');
  if (missing.length > 0) {
    return `${missing.join(', ')} not installed (apt-get install bluez-test-tools socat gcc; see docs/hardware.md "Try it without hardware")`;
  }
  return undefined;
}

/** Builds the AF_ALG shim once per source version into the temp directory; returns the .so path. */
export function buildShim(): string {
  const source = readFileSync(SHIM_SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'pqble-hci-shim');
  const out = join(dir, `af-alg-shim-${hash}.so`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const cc = which('cc') ?? 'gcc';
  const r = spawnSync(cc, ['-shared', '-fPIC', '-O2', '-Wall', '-o', tmp, SHIM_SOURCE, '-ldl'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the AF_ALG shim failed: ${r.stderr}`);
  renameSync(tmp, out);
  return out;
}

async function waitUntil(predicate: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The test payload of `length` bytes for `seed` (the agent's `pattern()`), as its SHA-256. */
export function patternDigest(length: number, seed: number): string {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return createHash('sha256').update(out).digest('hex');
}

/** One virtual controller: a pty a library opens, proxied to btvirt. */
export interface Controller {
  /** A name for messages. */
  readonly name: string;
  /** The pty (BLUETOOTH_HCI_SOCKET_UART_PORT). */
  readonly port: string;
  /** The controller's address, `aa:bb:cc:dd:ee:ff`. */
  readonly address: string;
  /** Its device id (12 hex digits). */
  readonly deviceId: string;
  /** The proxy (ACL counters, vanish). */
  readonly proxy: H4Proxy;
}

/** A JSON event an agent printed. */
export type AgentEvent = Record<string, unknown> & { readonly event: string };

/** Options of {@link HciEmulator.startAgent}. */
export interface AgentOptions {
  readonly role: 'central' | 'peripheral';
  /** 64 hex digits: the identity seed (same seed, same identity across restarts). */
  readonly seed: string;
  /** Session cache file. */
  readonly sessions?: string;
  readonly name?: string;
  readonly maxConnections?: number;
  /** Peripheral: echo every message (and report no per-message events). */
  readonly echo?: boolean;
}

/** A pqble device process (test/hci/fixtures/agent.ts). */
export class Agent {
  readonly name: string;
  readonly child: ChildProcess;
  readonly events: AgentEvent[] = [];
  stderr = '';
  /** Resolves with the exit code (or signal name) and the time the exit was seen. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  #nextRid = 1;
  readonly #waiters = new Set<() => void>();

  constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.child = child;
    let buffered = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (!line.startsWith('{')) continue;
        try {
          this.events.push(JSON.parse(line) as AgentEvent);
        } catch {
          continue;
        }
        for (const w of [...this.#waiters]) w();
      }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal, at: Date.now() });
        for (const w of [...this.#waiters]) w();
      });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for an event matching `predicate` (already seen or to come). */
  waitFor(predicate: (e: AgentEvent) => boolean, what: string, timeoutMs = 20_000): Promise<AgentEvent> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.events.find(predicate);
        if (hit !== undefined) {
          done();
          resolve(hit);
        } else if (!this.running) {
          done();
          reject(new Error(`${this.name} exited while waiting for ${what}; stderr: ${this.stderr.slice(-3000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${this.stderr.slice(-3000)}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends a command; resolves with its result, rejects with its error (`code` kept). */
  async request<T = Record<string, unknown>>(op: string, args: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<T> {
    const rid = this.#nextRid++;
    this.child.stdin?.write(`${JSON.stringify({ rid, op, ...args })}\n`);
    const reply = await this.waitFor((e) => e.event === 'reply' && e.rid === rid, `the reply to ${op}`, timeoutMs);
    if (reply.ok !== true) {
      const info = reply.error as { code?: string; message: string };
      throw Object.assign(new Error(`${this.name} ${op}: ${info.message}`), { code: info.code });
    }
    return reply.result as T;
  }

  /** Asks the agent to close everything, then waits for the process to end by itself; returns ms from the reply to the exit. */
  async exit(timeoutMs = 8000): Promise<{ exitMs: number; resources: Record<string, unknown> }> {
    const resources = await this.request('exit', {}, timeoutMs);
    const replied = Date.now();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const { code, signal, at } = await this.exited;
    clearTimeout(timer);
    if (signal !== null)
      throw new Error(`${this.name} did not exit by itself within ${timeoutMs} ms of closing (killed); resources: ${JSON.stringify(resources)}`);
    if (code !== 0) throw new Error(`${this.name} exited with ${code}; stderr: ${this.stderr.slice(-3000)}`);
    return { exitMs: at - replied, resources };
  }

  /** Kills the process at once (SIGKILL) and waits for it to be gone. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** Options of {@link HciEmulator.start}. */
export interface HciEmulatorOptions {
  /** Log btvirt's output to stderr. */
  readonly debug?: boolean;
}

/** One btvirt with its controllers and the processes on them. */
export class HciEmulator {
  readonly dir: string;
  readonly #btvirt: ChildProcess;
  readonly #controllers: Controller[] = [];
  readonly #socats: ChildProcess[] = [];
  readonly #agents: Agent[] = [];
  readonly #others: ChildProcess[] = [];
  #closed = false;

  private constructor(dir: string, btvirt: ChildProcess) {
    this.dir = dir;
    this.#btvirt = btvirt;
  }

  /** Starts btvirt (LE server socket in a fresh temp directory). */
  static async start(options: HciEmulatorOptions = {}): Promise<HciEmulator> {
    const shim = buildShim();
    const dir = await mkdtemp(join(tmpdir(), 'pqble-hci-'));
    const btvirt = track(
      spawn('btvirt', ['-s'], {
        env: { ...process.env, LD_PRELOAD: shim, PQBLE_BTVIRT_DIR: dir },
        stdio: ['ignore', options.debug === true ? 'inherit' : 'ignore', options.debug === true ? 'inherit' : 'pipe'],
      }),
    );
    let stderr = '';
    btvirt.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const emulator = new HciEmulator(dir, btvirt);
    try {
      await waitUntil(() => existsSync(join(dir, 'bt-server-le')) || btvirt.exitCode !== null, "btvirt's LE server socket", 5000);
      if (btvirt.exitCode !== null) throw new Error(`btvirt exited with ${btvirt.exitCode}: ${stderr}`);
    } catch (err) {
      await emulator.close();
      throw err;
    }
    return emulator;
  }

  /** Adds a controller (in order: btvirt numbers them as clients connect) with a pty for one process. */
  async addController(name: string): Promise<Controller> {
    const sock = join(this.dir, `${name}.h4`);
    const port = join(this.dir, `${name}.pty`);
    const proxy = new H4Proxy(sock, join(this.dir, 'bt-server-le'), () => this.#controllers.map((c) => c.proxy));
    await proxy.start();
    const socat = track(spawn('socat', [`PTY,link=${port},raw,echo=0`, `UNIX-CONNECT:${sock}`], { stdio: 'ignore' }));
    this.#socats.push(socat);
    await waitUntil(() => existsSync(port) || socat.exitCode !== null, `the pty of ${name}`, 5000);
    if (socat.exitCode !== null) throw new Error(`socat for ${name} exited with ${socat.exitCode}`);
    const controller: Controller = { name, port, address: proxy.address, deviceId: proxy.address.replace(/:/g, ''), proxy };
    this.#controllers.push(controller);
    return controller;
  }

  #dummy: H4Proxy | undefined;

  /**
   * Makes `controller` (a central whose process is idle) hold `count` connection handles
   * with hidden connections to a host-less dummy controller (also after each HCI Reset of
   * its host), so that its next connection gets the same handle as on a peripheral that
   * already serves `count` centrals (btvirt forwards ACL data with the sender's handle;
   * docs/hardware.md).
   */
  async reserveHandles(controller: Controller, count: number): Promise<void> {
    if (this.#dummy === undefined) {
      const dummy = new H4Proxy(join(this.dir, 'dummy.h4'), join(this.dir, 'bt-server-le'), () => this.#controllers.map((c) => c.proxy));
      await dummy.start();
      this.#dummy = dummy;
    }
    await controller.proxy.reserveHandles(this.#dummy, count);
  }

  /** Environment for a process that drives `controller` with the real noble/bleno. */
  envFor(controller: Controller, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, BLUETOOTH_HCI_SOCKET_UART_PORT: controller.port, ...extra };
    for (const k of ['NOBLE_HCI_DEVICE_ID', 'BLENO_HCI_DEVICE_ID', 'HCI_CHANNEL_USER', 'BLUETOOTH_HCI_SOCKET_FORCE_USB', 'NODE_TEST_CONTEXT']) delete env[k];
    return env;
  }

  /** Starts a pqble device process on `controller` and waits until it is ready. */
  async startAgent(controller: Controller, options: AgentOptions, readyTimeoutMs = 20_000): Promise<Agent> {
    const child = track(
      spawn(process.execPath, ['--import', 'tsx', AGENT], {
        cwd: ROOT,
        env: this.envFor(controller, { PQBLE_AGENT_CONFIG: JSON.stringify(options) }),
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    const agent = new Agent(`${options.role} on ${controller.name}`, child);
    this.#agents.push(agent);
    const first = await agent.waitFor((e) => e.event === 'ready' || e.event === 'failed', 'ready', readyTimeoutMs);
    if (first.event === 'failed') throw new Error(`${agent.name} failed to start: ${String(first.code)} ${String(first.message)}`);
    return agent;
  }

  /** Starts another process (for example the CLI) on `controller`; it is ended on close. */
  spawnOn(controller: Controller, command: string, args: readonly string[], extraEnv: Record<string, string> = {}): ChildProcess {
    const child = track(spawn(command, args, { cwd: ROOT, env: this.envFor(controller, extraEnv), stdio: ['pipe', 'pipe', 'pipe'] }));
    this.#others.push(child);
    return child;
  }

  /** Kills `agent` (SIGKILL) and makes its device vanish from the air (peers see a supervision timeout). */
  async killDevice(agent: Agent, controller: Controller): Promise<void> {
    await agent.kill();
    await controller.proxy.vanish();
  }

  /** Ends every process (agents, CLIs, socat, btvirt) and removes the directory. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const children = [...this.#agents.map((a) => a.child), ...this.#others, ...this.#socats, this.#btvirt];
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    );
    await Promise.all([...this.#controllers.map((c) => c.proxy.close()), this.#dummy?.close()]);
    await rm(this.dir, { recursive: true, force: true });
  }
}
