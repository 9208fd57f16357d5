-- Cycles through pre-built, pre-signed webhook deliveries: one file per wrk thread
-- (PREFIX-<thread>.tsv, lines "webhook-id TAB timestamp TAB signature TAB body"), so every
-- request carries its own webhook-id. Prints one JSON line with the counts and latencies.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk_claims.lua")  -- setup(), load_claims()

function init(args)
  reqs, idx, wrapped, statuses = load_claims(args[1]), 0, 0, {}
end

function request()
  idx = idx + 1
  if idx > #reqs then idx, wrapped = 1, wrapped + 1 end
  return reqs[idx]
end

function response(status, headers, body)
  local k = tostring(status)
  statuses[k] = (statuses[k] or 0) + 1
end

function done(summary, latency, requests)
  local codes, wraps = {}, 0
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do codes[k] = (codes[k] or 0) + v end
    wraps = wraps + t:get("wrapped")
  end
  local parts = {}
  for k, v in pairs(codes) do parts[#parts + 1] = string.format('"%s": %d', k, v) end
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "wrapped": %d, "status": {%s}}\n',
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +
    summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, wraps,
    table.concat(parts, ", ")))
end
