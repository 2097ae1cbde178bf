-- Restart a crashed Grove server with backoff, and give up (one message, no loop) when it keeps
-- crashing. Called from `on_exit` in lsp/grove.lua; a clean stop (`:lsp stop`, quitting
-- Neovim) is not a crash and is left alone.

local M = {}

---@class grove.RestartConfig
---@field max? integer        restarts allowed within window_ms (default 4); 0 never restarts
---@field window_ms? integer  the sliding window (default 3 minutes)
---@field delay_ms? integer   wait before the first restart; doubles for each recent crash
---@field max_delay_ms? integer

---@type grove.RestartConfig
M.defaults = { max = 4, window_ms = 3 * 60 * 1000, delay_ms = 500, max_delay_ms = 8000 }

--- Crash times (ms, vim.uv.now()) within the window.
---@type number[]
M.crashes = {}

--- The pending restart timer, if any.
---@type uv.uv_timer_t?
M.timer = nil

---@return grove.RestartConfig|false
local function config()
  local ok, grove = pcall(require, 'grove')
  local wanted = ok and grove.config.restart
  if wanted == false then
    return false
  end
  return vim.tbl_extend('force', M.defaults, type(wanted) == 'table' and wanted or {})
end

--- Whether an exit is a crash: a non-zero code, or a signal other than SIGTERM (`stop(true)`).
---@param code integer
---@param signal integer
---@return boolean
function M.is_crash(code, signal)
  return code ~= 0 or (signal ~= 0 and signal ~= 15)
end

--- Record a crash at `now`; the delay before restarting, or nil to give up.
---@param now number
---@param policy grove.RestartConfig
---@return integer?
function M.record(now, policy)
  local recent = {}
  for _, at in ipairs(M.crashes) do
    if now - at < policy.window_ms then
      recent[#recent + 1] = at
    end
  end
  recent[#recent + 1] = now
  M.crashes = recent
  if #recent > policy.max then
    return nil
  end
  return math.min(policy.delay_ms * 2 ^ (#recent - 1), policy.max_delay_ms)
end

--- Forget past crashes and any pending restart (a manual :GroveRestart).
function M.reset()
  M.crashes = {}
  if M.timer then
    M.timer:stop()
    M.timer:close()
    M.timer = nil
  end
end

local function notify(msg, level)
  vim.notify('Grove: ' .. msg, level)
end

--- Start the server again for every buffer it serves (what `vim.lsp.enable` does on FileType).
function M.start_again()
  local enabled
  if vim.lsp.is_enabled then
    enabled = vim.lsp.is_enabled('grove')
  else -- Neovim 0.11.0
    enabled = (vim.lsp._enabled_configs or {})['grove'] ~= nil
  end
  if not enabled then
    notify('the server is not enabled (vim.lsp.enable), so it cannot be restarted here')
    return
  end
  vim.lsp.enable('grove')
end

--- `on_exit` of a grove client.
---@param code integer
---@param signal integer
function M.on_exit(code, signal)
  if not M.is_crash(code, signal) then
    return
  end
  vim.schedule(function()
    local policy = config()
    if not policy or policy.max == 0 then
      local stopped = 'the server stopped (exit code %d, signal %d); run :GroveRestart'
      notify(stopped:format(code, signal))
      return
    end
    if M.timer then
      return -- a restart is already on its way
    end
    local delay = M.record(vim.uv.now(), policy)
    if not delay then
      notify(
        ('the server crashed %d times in %d minutes and will not be restarted automatically; '
          .. 'see :checkhealth grove and :lsp log, then run :GroveRestart'):format(
          #M.crashes,
          math.floor(policy.window_ms / 60000 + 0.5)
        ),
        vim.log.levels.ERROR
      )
      return
    end
    local wait = delay < 1000 and ('%d ms'):format(delay) or ('%.1f s'):format(delay / 1000)
    notify(
      ('the server stopped (exit code %d, signal %d); restarting in %s (%d/%d)'):format(
        code,
        signal,
        wait,
        #M.crashes,
        policy.max
      ),
      vim.log.levels.WARN
    )
    local timer = assert(vim.uv.new_timer())
    M.timer = timer
    timer:start(
      delay,
      0,
      vim.schedule_wrap(function()
        if M.timer ~= timer then
          return
        end
        M.timer = nil
        timer:close()
        M.start_again()
      end)
    )
  end)
end

--- :GroveRestart — stop the grove clients and start them again, forgetting past crashes.
function M.restart()
  M.reset()
  local clients = vim.lsp.get_clients({ name = 'grove' })
  for _, client in ipairs(clients) do
    client:stop()
  end
  vim.wait(3000, function()
    for _, client in ipairs(clients) do
      if not client:is_stopped() then
        return false
      end
    end
    return true
  end, 20)
  vim.schedule(M.start_again)
end

return M
