-- wrk script of bench/social.py: every request as a random member, by its own bearer token.
--   wrk ... -s bench/social.lua URL -- MODE PATH TOKENS_FILE RUN
-- MODE "post" sends POST PATH with a short status and a unique Idempotency-Key;
-- MODE "get" sends GET PATH; MODE "mixed" sends GET PATH nine times in ten and a post
-- (POST /api/v1/statuses, as "post") the tenth, at random.
-- done() prints one line "WRKJSON {...}" for the harness.

local threads = {}

function setup(thread)
   thread:set("id", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   mode, path, run = args[1], args[2], args[4]
   tokens = {}
   for line in io.lines(args[3]) do
      tokens[#tokens + 1] = line
   end
   math.randomseed(os.time() * 1000 + id)
   counter = 0
   non2xx = 0
   last_bad = 0
end

function request()
   local headers = { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }
   if mode == "post" or (mode == "mixed" and math.random() < 0.1) then
      counter = counter + 1
      headers["Content-Type"] = "application/json"
      headers["Idempotency-Key"] = run .. "-" .. id .. "-" .. counter
      local body = '{"status":"Benchmark post ' .. counter .. ' of thread ' .. id .. ', run ' .. run .. '"}'
      return wrk.format("POST", mode == "mixed" and "/api/v1/statuses" or path, headers, body)
   end
   return wrk.format("GET", path, headers)
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
      last_bad = status
   end
end

function done(summary, latency, requests)
   local bad, code = 0, 0
   for _, thread in ipairs(threads) do
      bad = bad + thread:get("non2xx")
      if thread:get("last_bad") ~= 0 then code = thread:get("last_bad") end
   end
   local e = summary.errors
   io.write(string.format(
      'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, '
         .. '"last_bad_status": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad, code,
      e.connect, e.read, e.write, e.timeout))
end
