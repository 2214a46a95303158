-- wrk script: durable idea submissions through the API (POST /api/v1/ideas with "submit": true).
-- Each request uses the next writer's token (bench/data/ideas-N/tokens.txt, one per line) and a fresh
-- Idempotency-Key, so every request creates one idea. Counts the answers by status for the caller's check.
-- Environment: BENCH_TOKENS (the tokens file), BENCH_CONTEST (the contest slug).

package.path = (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua;" .. package.path
local counts = require("counts")
setup = counts.setup

-- Per thread (globals of the thread's own Lua state, read back in done()): thread_id is set by setup().
tokens = {}
n = 0
created, other = 0, 0

function init(args)
    for line in io.lines(os.getenv("BENCH_TOKENS")) do
        if #line > 0 then table.insert(tokens, line) end
    end
    contest = os.getenv("BENCH_CONTEST")
    -- Keys unique across threads (id) and across runs (time and a random number).
    id = thread_id
    math.randomseed(os.time() * 100 + id)
    run = tostring(os.time()) .. "-" .. tostring(math.random(1, 1000000000))
end

function request()
    n = n + 1
    local token = tokens[(n + id * 7919) % #tokens + 1]
    local key = run .. "-" .. id .. "-" .. n
    local body = '{"contest":"' .. contest .. '","submit":true,"title":"Ý tưởng đo tải số ' .. key ..
        ': lắp đèn năng lượng mặt trời cho hẻm tối","category":"van-minh-do-thi",' ..
        '"summary":"Lắp đèn năng lượng mặt trời ở các hẻm nhỏ chưa có đèn, do thanh niên tình nguyện bảo trì.",' ..
        '"situation":"Nhiều hẻm nhỏ trong phường tối vào ban đêm, người đi đường và học sinh đi học về muộn thấy không an toàn.",' ..
        '"solution":"Vận động mạnh thường quân tài trợ đèn, đội thanh niên tình nguyện lắp đặt và kiểm tra hằng tháng.",' ..
        '"impact":"Hẻm sáng hơn, giảm trộm cắp vặt, người dân yên tâm đi lại buổi tối.",' ..
        '"resources":"Khoảng 15 triệu đồng cho 30 bộ đèn.","applies_where":"Các hẻm nhỏ của Phường 1"}'
    return wrk.format("POST", "/api/v1/ideas", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. token,
        ["Idempotency-Key"] = key,
    }, body)
end

function response(status, headers, body)
    counts.add(status)
    if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
    local c, o = 0, 0
    for _, t in ipairs(counts.threads()) do
        c = c + (t:get("created") or 0)
        o = o + (t:get("other") or 0)
    end
    io.write(string.format("created: %d\nnot created: %d\n", c, o))
    counts.done()
end
