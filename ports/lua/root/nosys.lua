-- SPDX-License-Identifier: MIT
-- What one address space cannot do fails with ENOSYS, never a crash, and
-- each call names itself once on the console (ports/lua/test.sh, spore only).
for _ = 1, 2 do
	print("execute", os.execute("true"))
	print("popen", pcall(io.popen, "true"))
end
print("shell", os.execute())
print("nosys done")
