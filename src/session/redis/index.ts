/**
 * `pqble/redis`: the fleet session store on Redis or Redis Cluster (docs/fleet.md). Loaded
 * only when imported; needs the optional peer dependency `ioredis`.
 *
 * @module
 */

export { RedisSessionStore, type RedisStoreCounters } from './store.js';
export {
  DEFAULT_REDIS_CONNECT_TIMEOUT_MS,
  DEFAULT_REDIS_MAX_SESSIONS,
  DEFAULT_REDIS_NAMESPACE,
  DEFAULT_REDIS_TIMEOUT_MS,
  FLEET_KEY_BYTES,
  REDIS_NAMESPACE_RE,
  type FleetKey,
  type RedisSessionStoreOptions,
} from './options.js';
