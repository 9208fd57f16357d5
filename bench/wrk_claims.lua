-- Shared by wrk_requests.lua and wrk_once.lua, which load it with dofile: numbers wrk's threads
-- (`tid`, and `threads` for done()) and reads one thread's pre-built, pre-signed webhook deliveries
-- (PREFIX-<thread>.tsv, lines "webhook-id TAB timestamp TAB signature TAB body") as wrk requests.
threads, counter = {}, 0

function setup(thread)
  thread:set("tid", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

function load_claims(prefix)
  local reqs = {}
  local f = assert(io.open(prefix .. "-" .. tid .. ".tsv", "r"))
  for line in f:lines() do
    local id, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    reqs[#reqs + 1] = wrk.format("POST", "/webhooks/claims", {
      ["Content-Type"] = "application/json", ["webhook-id"] = id,
      ["webhook-timestamp"] = ts, ["webhook-signature"] = sig}, body)
  end
  f:close()
  return reqs
end
