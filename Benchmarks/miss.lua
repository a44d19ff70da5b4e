-- Benchmarks/miss.lua: every request a URL no one asked for before (S5, the miss path).
-- wrk -s Benchmarks/miss.lua URL -- TOKEN: requests PATH-of-URL/TOKEN-1, TOKEN-2, ...
-- The harness passes a TOKEN unique to each run, so no run hits what an earlier one stored.
local base, token, n = "/", "run", 0

function init(args)
    token = args[1] or tostring(os.time())
    base = wrk.path
    if string.sub(base, -1) ~= "/" then base = base .. "/" end
end

function request()
    n = n + 1
    return wrk.format("GET", base .. token .. "-" .. n)
end
