-- Sends every pre-built, pre-signed webhook delivery exactly once (bench/e2e.py): one file per wrk
-- thread (PREFIX-<thread>.tsv, lines "webhook-id TAB timestamp TAB signature TAB body", as for
-- wrk_requests.lua). It cannot send a claim twice or hang:
-- - once a thread has handed out its last claim, delay() answers an hour, so its connections send
--   nothing more; a connection whose zero delay was already running then sends one GET /health
--   instead (a "filler": its answer is not counted), as would a connection wrk opens again;
-- - when every claim of the thread is answered, the thread writes PREFIX-<thread>.done and stops its
--   event loop; bench/e2e.py then interrupts wrk (SIGINT), and wrk's -d stays the hard bound;
-- - the first request of each thread writes PREFIX-<thread>.start: its mtime is when sending began.
-- Prints one JSON line: the claims' answers by status ("202", or "503?" for an answer without a
-- reference), fillers sent, and the latencies (claims only, unless fillers were sent).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk_claims.lua")  -- setup(), load_claims()

function init(args)
  prefix = args[1]
  reqs, idx, answered, fillers, statuses = load_claims(prefix), 0, 0, 0, {}
  filler = wrk.format("GET", "/health")
end

local function mark(name)
  local f = assert(io.open(prefix .. "-" .. tid .. "." .. name, "w"))
  f:write(tostring(answered))
  f:close()
end

function delay()
  if idx >= #reqs then return 3600000 end
  return 0
end

function request()
  if tid == 0 and not verified then
    -- wrk calls thread 0's request() once before any thread runs, to check what it returns, and
    -- never sends that one: answer a filler, so no claim is lost there
    verified = true
    return filler
  end
  if idx == 0 then mark("start") end
  if idx >= #reqs then
    fillers = fillers + 1
    return filler
  end
  idx = idx + 1
  return reqs[idx]
end

function response(status, headers, body)
  if body == '{"status":"ok"}' then return end  -- a filler's answer
  local k = tostring(status)
  if not (body and body:find('"reference"', 1, true)) then k = k .. "?" end
  statuses[k] = (statuses[k] or 0) + 1
  answered = answered + 1
  if answered == #reqs then
    mark("done")
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local codes, fill, sent = {}, 0, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do codes[k] = (codes[k] or 0) + v end
    fill = fill + t:get("fillers")
    sent = sent + t:get("idx")
  end
  local parts = {}
  for k, v in pairs(codes) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  io.write(string.format(
    'WRKJSON {"requests": %d, "claims_sent": %d, "fillers": %d, "errors": %d, "p50_us": %d, ' ..
    '"p90_us": %d, "p99_us": %d, "max_us": %d, "status": {%s}}\n',
    summary.requests, sent, fill,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
    summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(parts, ", ")))
end
