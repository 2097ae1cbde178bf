-- Test runner for the Grove Neovim plugin: loaded with `nvim --headless --clean -u init.lua`.
--
-- GROVE_TEST_CONFIG names a JSON file: { plugin_dir, setup, scenario, case, result, timeout_ms }.
-- The scenario (a function in scenarios.lua) runs in a coroutine once Neovim has started; it
-- plays the user with `t.feed(keys)` (real typeahead, processed by Neovim's main loop) and waits
-- on conditions with `t.wait(ms, predicate)` (vim.wait). The outcome, every vim.notify message
-- and the tail of the LSP log are written as JSON to `result`, then Neovim quits.

local function read(path)
  local f = assert(io.open(path, 'r'))
  local data = f:read('*a')
  f:close()
  return data
end

local cfg = vim.json.decode(read(assert(os.getenv('GROVE_TEST_CONFIG'), 'GROVE_TEST_CONFIG')))
local here = vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2))

vim.opt.runtimepath:prepend(cfg.plugin_dir)
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.lsp.log.set_level(vim.log.levels.DEBUG)

-- Every message the plugin shows is recorded (and echoed on stderr, so a failing test shows it).
local messages = {}
local notify = vim.notify
vim.notify = function(msg, level, opts)
  table.insert(messages, { msg = tostring(msg), level = level or vim.log.levels.INFO })
  io.stderr:write(('[notify %s] %s\n'):format(tostring(level), tostring(msg)))
  return notify(msg, level, opts)
end

if cfg.plain then
  -- The plain Neovim 0.11 way: lsp/grove.lua from the runtimepath, no setup() call.
  vim.lsp.config('grove', {
    cmd = cfg.setup.cmd,
    settings = { grove = cfg.setup.settings },
    root_markers = cfg.setup.root_markers,
    detached = false,
  })
  vim.lsp.enable('grove')
else
  require('grove').setup(cfg.setup)
end

local t = { result = {}, messages = messages, case = cfg.case }

local function lsp_log_tail()
  local ok, data = pcall(read, vim.lsp.log.get_filename())
  if not ok then
    return ''
  end
  return data:sub(-6000)
end

local function state_dump()
  local buf = vim.api.nvim_get_current_buf()
  local marks = {}
  for name, ns in pairs(vim.api.nvim_get_namespaces()) do
    local found = vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })
    if #found > 0 then
      marks[name] = found
    end
  end
  return vim.inspect({
    mode = vim.api.nvim_get_mode(),
    cursor = vim.api.nvim_win_get_cursor(0),
    lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false),
    clients = vim.tbl_map(function(c)
      return { id = c.id, name = c.name, buffers = vim.tbl_keys(c.attached_buffers) }
    end, vim.lsp.get_clients()),
    extmarks = marks,
  })
end

local finished = false
local function finish(payload)
  if finished then
    return
  end
  finished = true
  payload.messages = messages
  payload.lsp_log = lsp_log_tail()
  local f = assert(io.open(cfg.result, 'w'))
  f:write(vim.json.encode(payload))
  f:close()
  vim.cmd('qall!')
end

--- Wait (vim.wait) until `predicate()` is truthy; fail the scenario with the state otherwise.
function t.wait(ms, predicate, what)
  local value
  local ok = vim.wait(ms, function()
    value = predicate()
    return value
  end, 10)
  if not ok then
    error(('timed out after %d ms waiting for %s\nstate: %s'):format(ms, what, state_dump()), 2)
  end
  return value
end

local co
local synced = false

--- Resume the scenario; report its error, or its success once it has returned.
local function step(...)
  local ok, err = coroutine.resume(co, ...)
  if not ok then
    finish({ ok = false, error = debug.traceback(co, err) })
  elseif coroutine.status(co) == 'dead' then
    finish({ ok = true, result = t.result })
  end
end
vim.keymap.set({ 'n', 'i' }, '<Plug>(GroveTestSync)', function()
  synced = true
end)

--- Type `keys` as the user would, and return once Neovim has processed all of them.
function t.feed(keys)
  synced = false
  vim.api.nvim_input(keys .. '<Plug>(GroveTestSync)')
  local timer = assert(vim.uv.new_timer())
  local deadline = vim.uv.now() + 10000
  timer:start(
    5,
    5,
    vim.schedule_wrap(function()
      if timer:is_closing() then
        return
      end
      if synced or vim.uv.now() > deadline then
        timer:stop()
        timer:close()
        step(synced)
      end
    end)
  )
  local done = coroutine.yield()
  if not done then
    error(('keys %q were not processed within 10 s\nstate: %s'):format(keys, state_dump()), 2)
  end
end

t.dump = state_dump

local scenarios = dofile(here .. '/scenarios.lua')

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    vim.schedule(function()
      local scenario = scenarios[cfg.scenario]
      if not scenario then
        finish({ ok = false, error = 'unknown scenario ' .. tostring(cfg.scenario) })
        return
      end
      co = coroutine.create(function()
        scenario(t, cfg.case or {})
      end)
      step()
    end)
  end,
})

-- Last resort inside Neovim (the test also kills the process on its own timeout).
vim.defer_fn(function()
  finish({ ok = false, error = 'scenario did not finish in time\nstate: ' .. state_dump() })
end, cfg.timeout_ms or 60000)
