-- Mixed load, searching: full-text searches (the HTML results page and the API) for words people type, with and
-- without diacritics, common and rare, one that no idea holds, and similar-idea checks as a member types a title.
-- Environment: BENCH_LUA (this folder).
package.path = os.getenv("BENCH_LUA") .. "/?.lua;" .. package.path
local counts = require("counts")
setup = counts.setup
done = function() counts.done() end

local queries = {
    "ùn tắc giao thông", "un tac giao thong", "đèn năng lượng", "rác thải", "cây xanh", "hẻm tối",
    "thủ tục hành chính", "phường", "xe buýt", "an toàn", "học sinh", "camera", "nước", "t", "xyzzyqwv",
}
local titles = {
    "Lắp đèn năng lượng mặt trời cho hẻm tối", "Phân loại rác tại nguồn ở chung cư",
    "Giảm ùn tắc trước cổng trường giờ tan học", "Số hóa thủ tục đăng ký tạm trú",
}

function init(args)
    math.randomseed(os.time() * 1000 + thread_id + 17)
end

function request()
    local r = math.random(100)
    local path
    if r <= 45 then
        path = "/ideas?q=" .. counts.encode(queries[math.random(#queries)])
    elseif r <= 80 then
        path = "/api/v1/ideas?q=" .. counts.encode(queries[math.random(#queries)])
    else
        path = "/api/v1/ideas/similar?title=" .. counts.encode(titles[math.random(#titles)])
    end
    return wrk.format("GET", path)
end

function response(status, headers, body)
    counts.add(status)
end
