-- Mixed load, browsing: a visitor's GETs, drawn at random: the home page, the newest ideas, a page deep in the list,
-- one idea's page (from a sample of public ideas), the adopted showcase, the statistics and the API's list.
-- Environment: BENCH_LUA (this folder), BENCH_IDEA_IDS (a file of public idea ids), BENCH_DEEP_CURSOR.
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local counts = require("counts")
setup = counts.setup
done = function() counts.done() end

function init(args)
    ids = counts.lines(os.getenv("BENCH_IDEA_IDS"))
    deep = os.getenv("BENCH_DEEP_CURSOR")
    math.randomseed(os.time() * 1000 + thread_id)
end

function request()
    local r = math.random(100)
    local path
    if r <= 50 then
        path = "/ideas/" .. ids[math.random(#ids)]
    elseif r <= 70 then
        path = "/ideas"
    elseif r <= 78 then
        path = "/ideas?cursor=" .. deep
    elseif r <= 86 then
        path = "/"
    elseif r <= 92 then
        path = "/adopted"
    elseif r <= 95 then
        path = "/stats"
    else
        path = "/api/v1/ideas"
    end
    return wrk.format("GET", path)
end

function response(status, headers, body)
    counts.add(status)
end
