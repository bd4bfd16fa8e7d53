-- SPDX-License-Identifier: MIT
-- Lua on spore against Lua on Linux (ports/lua/test.sh): the same source, the
-- same script, the same output expected line for line. arg[1] is a writable
-- directory (/tmp on spore, a fresh one on Linux); its name is never printed.
io.stdout:setvbuf("no")   -- stdout and stderr interleave as written
local dir = assert(arg[1], "usage: test.lua DIR")

print("== strings")
local s = "The quick brown fox"
print(#s, s:upper(), s:lower():reverse())
print(s:find("quick"), s:match("(%a+) fox"), s:gsub("o", "0"))
print(("x"):rep(5, "-"), s:sub(-3), s:byte(1, 3), string.char(76, 117, 97))
for w in s:gmatch("%a+") do io.write(w, ".") end print()
print(utf8.char(72, 233, 8364), utf8.len("h\u{e9}\u{20ac}"))
print(("%d items at %5.2f = %-8s|"):format(3, 1.5, "ok"), ("%x %X %o"):format(255, 255, 8))
print(string.format("%q", "tab\tnl\n\0end"), string.format("%g %g %g", 1e20, 0.1, 2^53))
print(string.format("%s %s %s", nil, true, 12), string.format("%10.3s|", "abcdef"))
print(string.format("%.14g", math.pi), 7 // 2, 7 % -3, 7 / 2, 2^10, math.maxinteger)
print(math.tointeger(3.0), 1e15, 10 // 0.0, -(0/0) ~= -(0/0), math.type(1), math.type(1.0))
print(string.pack(">I4", 0x01020304):byte(1, -1), string.unpack("<i2", "\xff\xff"))

print("== tables")
local t = {}
for i = 1, 10 do t[#t + 1] = i * i end
table.insert(t, 1, 0)
print(#t, table.concat(t, ","), table.remove(t), table.unpack(t, 1, 3))
local names = { "pear", "apple", "fig", "banana" }
table.sort(names)
print(table.concat(names, " "))
table.sort(names, function(a, b) return #a < #b or (#a == #b and a < b) end)
print(table.concat(names, " "))
local keys = {}
for k in pairs({ z = 1, a = 2, m = 3 }) do keys[#keys + 1] = k end
table.sort(keys)
print(table.concat(keys), select("#", 1, nil, 3), select(2, "a", "b", "c"))
local mt = setmetatable({}, { __index = function(_, k) return k .. "!" end,
                              __call = function(self, x) return x * 2 end })
print(mt.hello, mt(21), rawget(mt, "hello"))
local V = {}
V.__index = V
V.__add = function(a, b) return setmetatable({ x = a.x + b.x }, V) end
V.__tostring = function(v) return "V(" .. v.x .. ")" end
print(tostring(setmetatable({ x = 1 }, V) + setmetatable({ x = 2 }, V)))

print("== closures")
local function counter()
	local n = 0
	return function() n = n + 1 return n end, function() return n end
end
local inc, get = counter()
inc() inc()
local inc2 = counter()
print(get(), inc(), inc2(), get())
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
print(fs[1](), fs[2](), fs[3]())
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fib(20), (function(...) return select("#", ...) end)(1, 2, 3))

print("== coroutines")
local gen = coroutine.wrap(function(a)
	for i = a, a + 2 do coroutine.yield(i) end
	return "done"
end)
print(gen(10), gen(), gen(), gen())
local co = coroutine.create(function(x, y)
	local z = coroutine.yield(x + y)
	local ok, err = pcall(function() coroutine.yield("in pcall") error("boom") end)
	return z, ok, err
end)
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co), coroutine.resume(co, "z"))
print(coroutine.resume(co))
print(coroutine.status(co), coroutine.resume(co))
print(coroutine.isyieldable(), type(coroutine.running()), select(2, coroutine.running()))

print("== os")
print(os.time({ year = 2020, month = 2, day = 29, hour = 12, min = 30, sec = 15 }))
print(os.date("!%Y-%m-%d %H:%M:%S", 86400 * 365), os.time() > 1.6e9, os.clock() >= 0)
print(os.date("!*t", 1000000000).year, os.difftime(10, 4), os.getenv("SPORE_NO_SUCH_VAR"))

print("== files")
local path = dir .. "/lua-test.txt"
local f = assert(io.open(path, "w"))
f:write("line one\n", 42, " ", 3.5, "\n", "last")
f:close()
f = assert(io.open(path, "r"))
print(f:read("l"), f:read("n"), f:read("n"), f:read("a"))
print(f:seek("set", 5), f:read(3), f:seek("end"))
f:close()
f = assert(io.open(path, "a"))
f:write("\nappended\n")
f:close()
local lines = {}
for l in io.lines(path) do lines[#lines + 1] = l end
print(#lines, lines[#lines])
assert(os.rename(path, dir .. "/renamed.txt"))
print(io.open(path, "r"), select(3, io.open(path)))
print(os.remove(dir .. "/renamed.txt"), select(3, os.remove(dir .. "/renamed.txt")))
local tmp = os.tmpname()
print(type(tmp), os.remove(tmp))
print((select(2, pcall(io.lines, dir .. "/none")):gsub((dir:gsub("%p", "%%%0")), "DIR")))
print(io.type(io.stdout), io.type(f), io.type(42))

print("== errors")
print(select(2, pcall(error, { code = 7 })).code)
print(pcall(error, "msg", 0))
print(pcall(function() local x = nil; return x.field end))
print(select(2, pcall(function() error("level 2", 2) end)))
local function deep(n) if n == 0 then error("at the bottom") end return deep(n - 1) + 1 end
print(xpcall(deep, debug.traceback, 3))
print(xpcall(function() return 1, 2 end, debug.traceback))
print(pcall(setmetatable, 1, {}))
print(select(2, load("return +")), load("return 6 * 7")())
print(string.rep("=", 20))
error("uncaught, with the interpreter's traceback")
