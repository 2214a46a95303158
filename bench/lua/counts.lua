-- Shared by the mixed-load scripts: counts answers by status class per thread and prints the totals when wrk ends,
-- as lines "answers 2xx: N", "answers 3xx: N", "answers 4xx: N", "answers 5xx: N" that bench/mixed.sh reads.
-- (wrk itself counts only statuses of 400 and above, and does not tell 4xx from 5xx.)
local counts = {}
local threads = {}
local next_id = 1

function counts.setup(thread)
    thread:set("thread_id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function counts.add(status)
    local class = math.floor(status / 100)
    _G["answers_" .. class] = (_G["answers_" .. class] or 0) + 1
end

function counts.done()
    for _, class in ipairs({ 2, 3, 4, 5 }) do
        local total = 0
        for _, t in ipairs(threads) do
            total = total + (t:get("answers_" .. class) or 0)
        end
        io.write(string.format("answers %dxx: %d\n", class, total))
    end
end

-- The threads setup() has seen (in the main state, for done()).
function counts.threads()
    return threads
end

-- Lines of a file, without empty ones.
function counts.lines(path)
    local out = {}
    for line in io.lines(path) do
        if #line > 0 then table.insert(out, line) end
    end
    return out
end

-- Percent-encodes a query value (UTF-8 bytes included).
function counts.encode(s)
    return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

return counts
