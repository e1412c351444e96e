-- The sign scenario: every request a POST of the sign form with a new email address.
-- Arguments after "--": <path> <csrf form token> <csrf cookie> <email prefix> <form stamp>.
-- Appended to report.lua by bench/run.py (wrk takes one script).
local counter = 0

function init(args)
  path, form_token, cookie, prefix, stamp = args[1], args[2], args[3], args[4], args[5]
  ok, bad = 0, 0
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=" .. cookie,
  }
end

function request()
  counter = counter + 1
  local email = prefix .. "-" .. tid .. "-" .. counter .. "%40bench.example.org"
  local body = "csrfmiddlewaretoken=" .. form_token .. "&name=Bench+Signer+" .. counter ..
    "&email=" .. email .. "&consent=on&show_name=on&website=&stamp=" .. stamp
  return wrk.format("POST", path, headers, body)
end

-- The sign view answers a redirect to "check your inbox"; anything else is a failure.
function response(status, headers, body)
  if status == 302 then ok = ok + 1 else bad = bad + 1 end
end
