-- wrk script: durable buys on vend-edge, where no two in-flight requests ever share a
-- customer.
--
-- Environment (set by bench/edge_http.sh):
--   BUY_CUSTOMERS  file with one "user_name initial_balance" pair per line
--   BUY_THREADS    wrk's -t value (setup() cannot see it), to deal customers out
--   BUY_PRODUCT    product id to buy (default 1)
--   BUY_PRICE      its price in cents (default 150)
--
-- How customers are kept apart. wrk gives Lua no connection identity: request() and
-- response() are per-thread callbacks and a thread's connections interleave freely, so
-- a round-robin of names is NOT safe (one slow request can still be in flight when its
-- name comes round again). Instead each thread owns a disjoint set of customers and
-- keeps them in a FIFO of idle names:
--   * request() takes an idle name and marks it busy;
--   * response() releases a name only when it can tell whose response it is. The shell
--     script funds customer k with an initial balance whose remainder modulo the price
--     is unique (k), and every buy lowers the balance by exactly the price, so
--     `balance % price` in a 201 body names the customer that bought.
-- A name whose response cannot be attributed (any non-201, a dropped connection) is
-- never released: it leaks, which costs pool size but can never cause sharing. If a
-- thread's pool ever runs dry, request() sends a buy for a customer that does not exist
-- (404) and counts it; that shows up in the report as non-201s.
-- Note: wrk calls request() once on thread 1 before the run to validate the request, so
-- one name is leaked there by design.

local threads = {}
local customers = nil   -- setup state: list of {name, balance}
local next_thread = 0

local function read_customers()
  local path = os.getenv("BUY_CUSTOMERS")
  assert(path, "BUY_CUSTOMERS is not set")
  local list = {}
  for line in io.lines(path) do
    local name, balance = line:match("^(%S+)%s+(%d+)$")
    if name then list[#list + 1] = { name, tonumber(balance) } end
  end
  assert(#list > 0, "no customers in " .. path)
  return list
end

-- Runs in the main Lua state, once per thread, before the thread starts. Deals the
-- customers out round-robin; the thread count is not known here, so each call hands the
-- thread every customer whose index is congruent to its number modulo BUY_THREADS.
function setup(thread)
  if not customers then customers = read_customers() end
  local nthreads = tonumber(os.getenv("BUY_THREADS") or "")
  assert(nthreads, "BUY_THREADS is not set")
  -- Only strings cross Lua states: wrk 4.1's thread:set/get mishandles tables
  -- (nested ones crash it), so lists travel as "name balance;name balance;...".
  local mine = {}
  for i, c in ipairs(customers) do
    if (i - 1) % nthreads == next_thread then mine[#mine + 1] = c[1] .. " " .. c[2] end
  end
  assert(#mine > 0, "more threads than customers")
  thread:set("my_customers", table.concat(mine, ";"))
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
  threads[#threads + 1] = thread
end

-- Per-thread state (globals live in the thread's own Lua state).
local price, product
local requests = {}     -- name -> prebuilt HTTP request
local by_residue = {}   -- balance % price -> name
local idle = {}         -- FIFO of idle names
local head, tail = 1, 0
local busy = {}         -- name -> true while a request for it may be in flight
local orphan_request

ok = 0                  -- 201s
local non201 = {}       -- status -> count
non201_text = ""        -- the same as "status:count,..." for done()
unattributed = 0        -- 201s whose balance named no busy customer of this thread
pool_empty = 0          -- request() found no idle customer

function init(args)
  price = tonumber(os.getenv("BUY_PRICE") or "150")
  product = tonumber(os.getenv("BUY_PRODUCT") or "1")
  local headers = { ["Content-Type"] = "application/json" }
  local path = "/api/v1/products/" .. product .. "/buy"
  for name, balance in my_customers:gmatch("([^;%s]+) (%d+)") do
    local r = tonumber(balance) % price
    assert(by_residue[r] == nil, "two customers share balance residue " .. r)
    by_residue[r] = name
    requests[name] = wrk.format("POST", path, headers,
      string.format('{"user_name":"%s","product_id":%d}', name, product))
    tail = tail + 1
    idle[tail] = name
  end
  orphan_request = wrk.format("POST", path, headers,
    string.format('{"user_name":"no-such-customer-%d","product_id":%d}', thread_no, product))
end

function request()
  if head > tail then
    pool_empty = pool_empty + 1
    return orphan_request
  end
  local name = idle[head]
  idle[head] = nil
  head = head + 1
  busy[name] = true
  return requests[name]
end

function response(status, headers, body)
  if status ~= 201 then
    local k = tostring(status)
    non201[k] = (non201[k] or 0) + 1
    local parts = {}
    for st, n in pairs(non201) do parts[#parts + 1] = st .. ":" .. n end
    non201_text = table.concat(parts, ",")
    return
  end
  ok = ok + 1
  local balance = tonumber(body:match('"balance"%s*:%s*(%-?%d+)'))
  local name = balance and by_residue[balance % price]
  if not name or not busy[name] then
    unattributed = unattributed + 1
    return
  end
  busy[name] = nil
  tail = tail + 1
  idle[tail] = name
end

-- Runs in the main Lua state after the run.
function done(summary, latency, reqs)
  local total_ok, total_unattr, total_empty, total_busy = 0, 0, 0, 0
  local statuses = {}
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_unattr = total_unattr + t:get("unattributed")
    total_empty = total_empty + t:get("pool_empty")
    for k, v in t:get("non201_text"):gmatch("(%d+):(%d+)") do
      statuses[k] = (statuses[k] or 0) + tonumber(v)
    end
  end
  local non = {}
  local total_non = 0
  for k, v in pairs(statuses) do
    non[#non + 1] = k .. ":" .. v
    total_non = total_non + v
  end
  table.sort(non)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "BUY ok=%d non201=%d non201_by_status=%s buys_per_s=%.1f duration_s=%.3f " ..
    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f unattributed=%d pool_empty=%d " ..
    "sock_connect=%d sock_read=%d sock_write=%d timeouts=%d\n",
    total_ok, total_non, (#non > 0 and table.concat(non, ",") or "-"), total_ok / secs, secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, total_unattr, total_empty,
    e.connect, e.read, e.write, e.timeout))
end
