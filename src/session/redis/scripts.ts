/**
 * The Lua scripts of the Redis fleet store (docs/fleet.md "Scripts"). Each one runs
 * atomically on the node that owns the fleet's hash tag; together they keep the entries,
 * the ticket and device pointers, the tombstones and the two sorted sets consistent.
 *
 * Index keys are built inside the scripts from `ARGV[1]` (the `{namespace}:` prefix) and
 * the blinded ids in an entry's header. They share the hash tag of the declared keys, so
 * they live in the same Cluster slot, which Redis allows.
 *
 * Entry header offsets (Lua strings are 1-based): ticket 1..16, outbound 17..32, device
 * 33..48. Scripts never see a secret: only blinded ids and sealed values.
 *
 * @module
 */

/** Longest entry value a read hands back whole (a full entry is 206 bytes). */
const MAX_ENTRY_BYTES = 512;

/** Helpers every script starts with. */
const COMMON = `
local prefix = ARGV[1]
local MAX_ENTRY = ${MAX_ENTRY_BYTES}
local ZERO = string.rep('\\0', 16)
local function unlink(m, v)
  if #v < 48 then return end
  local t = string.sub(v, 1, 16)
  if t ~= ZERO then
    local tk = prefix .. 't:' .. t
    if redis.call('GET', tk) == m then redis.call('DEL', tk) end
  end
  local dk = prefix .. 'd:' .. string.sub(v, 33, 48)
  if redis.call('GET', dk) == m then redis.call('DEL', dk) end
end
-- The ticket and device pointers of entry value v, expiring with it (a tombstoned ticket
-- gets no pointer).
local function link(m, v, exp)
  local t = string.sub(v, 1, 16)
  if t ~= ZERO and redis.call('EXISTS', prefix .. 'k:' .. t) == 0 then
    redis.call('SET', prefix .. 't:' .. t, m, 'PXAT', exp)
  end
  redis.call('SET', prefix .. 'd:' .. string.sub(v, 33, 48), m, 'PXAT', exp)
end
local function drop(m)
  local ek = prefix .. 'e:' .. m
  local v = redis.call('GET', ek)
  if v then unlink(m, v); redis.call('DEL', ek) end
  redis.call('ZREM', prefix .. 'lru', m)
  redis.call('ZREM', prefix .. 'est', m)
  return v
end
local function sweep(before, limit)
  local n = 0
  local old = redis.call('ZRANGEBYSCORE', prefix .. 'est', '-inf', before, 'LIMIT', 0, limit)
  for _, m in ipairs(old) do if drop(m) then n = n + 1 end end
  return n
end
local function read(m)
  local ek = prefix .. 'e:' .. m
  local n = redis.call('STRLEN', ek)
  if n == 0 then return false end
  -- A value longer than any entry is damaged: hand back its first bytes only (bounded reply).
  local v = n > MAX_ENTRY and redis.call('GETRANGE', ek, 0, 63) or redis.call('GET', ek)
  local score = redis.call('ZSCORE', prefix .. 'lru', m)
  local dead = 0
  if #v >= 16 and string.sub(v, 1, 16) ~= ZERO and redis.call('EXISTS', prefix .. 'k:' .. string.sub(v, 1, 16)) == 1 then dead = 1 end
  return {m, v, score or false, dead}
end
`;

/**
 * put. KEYS: entry, lru, est. ARGV: prefix, bfp, value, expireAtMs, lastActiveMs,
 * establishedMs, expiredBeforeMs (now - lifetime), maxSessions, sweepLimit, nowMs.
 * Returns `{ stored (0|1), evicted, expired }`.
 */
const PUT_SCRIPT = `${COMMON}
local bfp, value = ARGV[2], ARGV[3]
local expired = sweep(ARGV[7], tonumber(ARGV[9]))
local old = redis.call('GET', KEYS[1])
if old then unlink(bfp, old) end
if tonumber(ARGV[4]) <= tonumber(ARGV[10]) then
  drop(bfp)
  return {0, 0, expired}
end
redis.call('SET', KEYS[1], value, 'PXAT', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], bfp)
redis.call('ZADD', KEYS[3], ARGV[6], bfp)
link(bfp, value, ARGV[4])
local cap = tonumber(ARGV[8])
local over = redis.call('ZCARD', KEYS[2]) - redis.call('ZCOUNT', KEYS[3], '-inf', ARGV[7]) - cap
local evicted, budget = 0, 1000
while over > 0 and budget > 0 do
  local p = redis.call('ZPOPMIN', KEYS[2])
  if #p == 0 then break end
  if drop(p[1]) then evicted = evicted + 1 end
  over = redis.call('ZCARD', KEYS[2]) - redis.call('ZCOUNT', KEYS[3], '-inf', ARGV[7]) - cap
  budget = budget - 1
end
return {1, evicted, expired}
`;

/**
 * consumeInbound. KEYS: entry, lru. ARGV: prefix, bfp, blinded ticket, expected value,
 * new value, lastActiveMs. Returns 1 (consumed), 0 (no such ticket: refused), 2 (the entry
 * changed since the caller read it: read again).
 */
const CONSUME_SCRIPT = `${COMMON}
local bfp, bticket = ARGV[2], ARGV[3]
local v = redis.call('GET', KEYS[1])
if not v or #v < 48 or string.sub(v, 1, 16) ~= bticket or bticket == ZERO then return 0 end
local tomb = prefix .. 'k:' .. bticket
if redis.call('EXISTS', tomb) == 1 then return 0 end
if v ~= ARGV[4] then return 2 end
local exp = redis.call('PEXPIRETIME', KEYS[1])
if exp <= 0 then return 0 end
unlink(bfp, v)
redis.call('SET', KEYS[1], ARGV[5], 'KEEPTTL')
redis.call('SET', tomb, '1', 'PXAT', exp)
link(bfp, ARGV[5], exp)
redis.call('ZADD', KEYS[2], 'GT', ARGV[6], bfp)
return 1
`;

/**
 * replaceOutbound. KEYS: entry, lru. ARGV: prefix, bfp, blinded expected outbound,
 * expected value, new value, lastActiveMs. Returns 1 (replaced), 0 (not the expected
 * secret), 2 (the entry changed since the caller read it: read again).
 */
const REPLACE_OUTBOUND_SCRIPT = `${COMMON}
local bfp, bout = ARGV[2], ARGV[3]
local v = redis.call('GET', KEYS[1])
if not v or #v < 48 or string.sub(v, 17, 32) ~= bout or bout == ZERO then return 0 end
if v ~= ARGV[4] then return 2 end
local exp = redis.call('PEXPIRETIME', KEYS[1])
if exp <= 0 then return 0 end
unlink(bfp, v)
redis.call('SET', KEYS[1], ARGV[5], 'KEEPTTL')
link(bfp, ARGV[5], exp)
redis.call('ZADD', KEYS[2], 'GT', ARGV[6], bfp)
return 1
`;

/**
 * Read one entry. KEYS: entry. ARGV: prefix, bfp. Returns `{ bfp, value, lastActive, dead }`
 * or nil; `dead` is 1 if the entry's inbound ticket is tombstoned.
 */
const GET_SCRIPT = `${COMMON}
return read(ARGV[2])
`;

/**
 * Read through a pointer. KEYS: pointer (ticket or device). ARGV: prefix, header offset
 * (1: ticket, 33: device), blinded id, refuse-dead ('1' for ticket lookups). Returns what
 * GET_SCRIPT returns, or nil when the pointer is stale.
 */
const GET_BY_POINTER_SCRIPT = `${COMMON}
if redis.call('STRLEN', KEYS[1]) ~= 16 then return false end
local m = redis.call('GET', KEYS[1])
local r = read(m)
if not r then return false end
local off = tonumber(ARGV[2])
if string.sub(r[2], off, off + 15) ~= ARGV[3] then return false end
if ARGV[4] == '1' and r[4] == 1 then return false end
return r
`;

/** Read many. KEYS: lru. ARGV: prefix, bfp... Returns a flat list of GET_SCRIPT answers. */
const GET_MANY_SCRIPT = `${COMMON}
local out = {}
for i = 2, #ARGV do
  local r = read(ARGV[i])
  if r then out[#out + 1] = r end
end
return out
`;

/** delete. KEYS: entry, lru, est. ARGV: prefix, bfp. Returns 1 if an entry went. */
const DELETE_SCRIPT = `${COMMON}
if drop(ARGV[2]) then return 1 end
return 0
`;

/**
 * prune. KEYS: lru, est. ARGV: prefix, establishedBeforeMs (inclusive), limit. Returns
 * `{ removed, examined }`; the caller repeats while `examined == limit`.
 */
const PRUNE_SCRIPT = `${COMMON}
local n = 0
local old = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, m in ipairs(old) do if drop(m) then n = n + 1 end end
return {n, #old}
`;

/** size. KEYS: lru, est. ARGV: prefix, expiredBeforeMs, sweepLimit. Returns the live entries. */
const SIZE_SCRIPT = `${COMMON}
sweep(ARGV[2], tonumber(ARGV[3]))
return redis.call('ZCARD', KEYS[1]) - redis.call('ZCOUNT', KEYS[2], '-inf', ARGV[2])
`;

/** putValue. KEYS: value key, vals. ARGV: prefix, blinded name, sealed value. */
const PUT_VALUE_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
`;

/** putValue(undefined). KEYS: value key, vals. ARGV: prefix, blinded name. */
const DELETE_VALUE_SCRIPT = `
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
`;

/**
 * listValues. KEYS: vals. ARGV: prefix, longest sealed value, blinded name... Returns
 * `{ blinded name, sealed value }` pairs (a value longer than the limit comes back cut to
 * limit + 1 bytes; a name without a value is dropped from the set).
 */
const GET_VALUES_SCRIPT = `
local out = {}
local max = tonumber(ARGV[2])
for i = 3, #ARGV do
  local k = ARGV[1] .. 'v:' .. ARGV[i]
  local n = redis.call('STRLEN', k)
  if n == 0 then redis.call('SREM', KEYS[1], ARGV[i])
  else out[#out + 1] = {ARGV[i], redis.call('GETRANGE', k, 0, max)} end
end
return out
`;

/**
 * Run by `open()`. KEYS: check. ARGV: b(check, namespace). Returns `{ redis version, 1 }` if
 * the namespace is new or this fleet's, `{ version, 0 }` if another fleet's; `{ '', 0 }` on
 * Redis older than 7.0 (no `redis.REDIS_VERSION`).
 */
export const OPEN_SCRIPT = `
local v = redis.REDIS_VERSION
if not v then return {'', 0} end
local cur = redis.call('GET', KEYS[1])
if not cur then redis.call('SET', KEYS[1], ARGV[1]) return {v, 1} end
if cur == ARGV[1] then return {v, 1} end
return {v, 0}
`;

/** Every script of the seam, by name, with its number of KEYS (sent with EVAL). */
export const SCRIPTS = {
  pqblePut: { lua: PUT_SCRIPT, numberOfKeys: 3 },
  pqbleConsume: { lua: CONSUME_SCRIPT, numberOfKeys: 2 },
  pqbleReplaceOutbound: { lua: REPLACE_OUTBOUND_SCRIPT, numberOfKeys: 2 },
  pqbleGet: { lua: GET_SCRIPT, numberOfKeys: 1 },
  pqbleGetByPointer: { lua: GET_BY_POINTER_SCRIPT, numberOfKeys: 1 },
  pqbleGetMany: { lua: GET_MANY_SCRIPT, numberOfKeys: 1 },
  pqbleDelete: { lua: DELETE_SCRIPT, numberOfKeys: 3 },
  pqblePrune: { lua: PRUNE_SCRIPT, numberOfKeys: 2 },
  pqbleSize: { lua: SIZE_SCRIPT, numberOfKeys: 2 },
  pqblePutValue: { lua: PUT_VALUE_SCRIPT, numberOfKeys: 2 },
  pqbleDeleteValue: { lua: DELETE_VALUE_SCRIPT, numberOfKeys: 2 },
  pqbleGetValues: { lua: GET_VALUES_SCRIPT, numberOfKeys: 1 },
} as const;

/** Name of a script command. */
export type ScriptName = keyof typeof SCRIPTS;
