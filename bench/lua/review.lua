-- Mixed load, reviewing: reviewers hand in (and revise) reviews of their assignments in the bench contest in review:
-- PUT /api/v1/assignments/{id}/review with every criterion scored, a confidence and a comment, "submit": true, and no
-- version (each save is a new version of the review, its history row and audit event).
-- Environment: BENCH_LUA (this folder), BENCH_REVIEW_TASKS (lines "token assignment-id"), BENCH_CRITERIA (ids, comma
-- separated).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local counts = require("counts")
setup = counts.setup
done = function() counts.done() end

local comments = {
    "Ý tưởng thiết thực, nên làm rõ thêm kinh phí và đơn vị phối hợp.",
    "Giải pháp phù hợp với thực tế phường; cần kế hoạch duy trì sau giai đoạn đầu.",
    "Nên bổ sung số liệu khảo sát để chứng minh hiệu quả.",
}

function init(args)
    tasks = {}
    for _, line in ipairs(counts.lines(os.getenv("BENCH_REVIEW_TASKS"))) do
        local token, id = line:match("^(%S+) (%S+)$")
        if token then table.insert(tasks, { token = token, id = id }) end
    end
    criteria = {}
    for id in os.getenv("BENCH_CRITERIA"):gmatch("[^,]+") do table.insert(criteria, id) end
    math.randomseed(os.time() * 1000 + thread_id + 31)
end

function request()
    local task = tasks[math.random(#tasks)]
    local scores = {}
    for _, id in ipairs(criteria) do
        table.insert(scores, string.format('"%s":%d', id, math.random(1, 10)))
    end
    local body = string.format(
        '{"scores":{%s},"confidence":%d,"comment_author":"%s","comment_panel":"","submit":true}',
        table.concat(scores, ","), math.random(1, 5), comments[math.random(#comments)])
    return wrk.format("PUT", "/api/v1/assignments/" .. task.id .. "/review", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. task.token,
    }, body)
end

function response(status, headers, body)
    counts.add(status)
end
