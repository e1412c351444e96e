-- The POST scenarios (sign, confirm, the bare form): every request a new one.
-- Arguments after "--": <path template> <body template> <cookie header, "" for none>
--   <first client number> <expected status>.
-- "@N@" in the templates becomes "<wrk thread>-<request number of that thread>": a new
-- email address for sign and the bare form, the next prepared token for confirm.
-- Each request comes from another client through one trusted proxy (X-Forwarded-For),
-- three requests per client network, a quarter of them IPv6: the site's per-client rate
-- limits apply as they would to real signers. Appended to report.lua by bench/run.py.
local counter = 0

function init(args)
  path_template, body_template, cookie = args[1], args[2], args[3]
  first_client, expected = tonumber(args[4]), tonumber(args[5])
  ok, refused, bad = 0, 0, 0
  headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
  if cookie ~= "" then headers["Cookie"] = cookie end
end

-- Client n: network n / 3, host n % 3 + 1. IPv4 networks are /24s in 11.0.0.0-211.255.255.0
-- (skipping 127), IPv6 networks are /48s in the documentation prefix 3fff::/20.
function client_address(n)
  local network, host = math.floor(n / 3), n % 3 + 1
  if network % 4 == 3 then
    local high = math.floor(network / 65536) % 4096
    return string.format("3fff:%x:%x::%x", high, network % 65536, host)
  end
  local a = 11 + math.floor(network / 65536) % 200
  if a >= 127 then a = a + 1 end
  local b, c = math.floor(network / 256) % 256, network % 256
  return string.format("%d.%d.%d.%d", a, b, c, host)
end

function request()
  counter = counter + 1
  local id = tid .. "-" .. counter
  headers["X-Forwarded-For"] = client_address(first_client + (tid - 1) * 1048576 + counter)
  local path = string.gsub(path_template, "@N@", id)
  local body = string.gsub(body_template, "@N@", id)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status == expected then
    ok = ok + 1
  elseif status == 400 then
    refused = refused + 1
  else
    bad = bad + 1
  end
end
