-- GCRA in one step, atomic in Redis. KEYS[1]: the key. ARGV[1]: the
-- interval between requests at the sustained rate, ARGV[2]: the period of
-- the budget, both in microseconds. The key holds the theoretical arrival
-- time (TAT) of the key's next request, in microseconds of Redis's clock.
-- Returns {1, 0} when the request is allowed, {0, wait in µs} when not.
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
  tat = now
end
local nxt = tat + interval
local allow_at = nxt - period
if now < allow_at then
  return {0, allow_at - now}
end
-- Forget the key once its budget is full again (its TAT has passed).
redis.call('SET', KEYS[1], string.format('%d', nxt), 'PX', math.ceil((nxt - now) / 1000))
return {1, 0}
