-- :checkhealth grove

local M = {}

local health = vim.health

--- The server command from the resolved LSP config.
local function server_cmd()
  local config = vim.lsp.config and vim.lsp.config.grove
  local cmd = config and config.cmd
  if type(cmd) == 'table' and #cmd > 0 then
    return cmd
  end
  return { 'grove', 'serve' }
end

--- `cmd` with the `serve ...` part replaced by `--version`.
local function version_cmd(cmd)
  local out = {}
  for _, arg in ipairs(cmd) do
    if arg == 'serve' then
      break
    end
    out[#out + 1] = arg
  end
  out[#out + 1] = '--version'
  return out
end

local function check_neovim()
  health.start('Neovim')
  local v = vim.version()
  local text = ('%d.%d.%d'):format(v.major, v.minor, v.patch)
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok('Neovim ' .. text)
  else
    health.error('Neovim ' .. text .. ': Grove needs 0.11 or newer')
  end
  local grove = require('grove')
  if vim.lsp.inline_completion then
    health.ok('vim.lsp.inline_completion available; ghost text renderer: ' .. grove.renderer())
  else
    health.info('no vim.lsp.inline_completion (Neovim < 0.12): using the extmark renderer')
  end
  health.info('inline completions ' .. (grove.enabled and 'on' or 'off (:GroveToggle)'))
end

local function check_server()
  health.start('Grove server')
  local cmd = server_cmd()
  local exe = cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    health.error(
      ('server executable `%s` not found'):format(exe),
      {
        "install it from a clone of the Grove repository: pip install -e '<clone>[local]' "
          .. '(see the Grove README; then `grove` is on PATH)',
        "or set cmd in require('grove').setup{}",
      }
    )
    return
  end
  health.ok(('server executable: %s'):format(vim.fn.exepath(exe)))
  local ok, result = pcall(function()
    return vim.system(version_cmd(cmd), { text = true }):wait(10000)
  end)
  if ok and result.code == 0 then
    health.ok('version: ' .. vim.trim(result.stdout ~= '' and result.stdout or result.stderr))
  else
    local why = ok and (result.stderr ~= '' and result.stderr or ('exit code ' .. result.code))
      or tostring(result)
    health.error('`' .. table.concat(version_cmd(cmd), ' ') .. '` failed: ' .. vim.trim(why))
  end
end

--- The attached grove client's status; returns the client (nil when none runs).
local function check_client()
  health.start('Grove client')
  local clients = vim.lsp.get_clients({ name = 'grove' })
  if #clients == 0 then
    health.warn('no grove client is running', {
      "open a supported file with vim.lsp.enable('grove') or require('grove').setup{} in your config",
    })
    return nil
  end
  local client = clients[1]
  local buffers = vim.tbl_count(client.attached_buffers)
  health.ok(('client %d attached to %d buffer(s), position encoding %s'):format(
    client.id,
    buffers,
    client.offset_encoding
  ))
  if not client.server_capabilities.inlineCompletionProvider then
    health.warn('the server does not advertise textDocument/inlineCompletion')
  end
  local response, err = client:request_sync(
    'workspace/executeCommand',
    { command = 'grove.status', arguments = {} },
    10000,
    vim.tbl_keys(client.attached_buffers)[1]
  )
  if not response then
    health.error('grove.status did not answer: ' .. tostring(err))
    return client
  end
  if response.err then
    health.error('grove.status failed: ' .. (response.err.message or vim.inspect(response.err)))
    return client
  end
  local status = response.result or {}
  health.ok(('model target: %s%s'):format(
    tostring(status.target),
    status.embedded and ' (embedded model)' or ''
  ))
  if type(status.embeddedLog) == 'string' then
    health.info('embedded model log: ' .. status.embeddedLog)
  end
  local last = status.lastError
  if last ~= nil and last ~= vim.NIL and last ~= '' then
    health.warn('last error: ' .. tostring(last))
  else
    health.ok('no model errors so far')
  end
  return client
end

--- How long `grove.doctor` may take: it may start the embedded model and asks the model once.
local DOCTOR_TIMEOUT_MS = 60000

local REPORTERS = { ok = health.ok, warn = health.warn, fail = health.error, info = health.info }

--- The server's setup checks (`grove.doctor`, the checks of `grove doctor`), each with its fix.
local function check_setup(client)
  health.start('Grove setup (grove doctor)')
  local provider = client.server_capabilities.executeCommandProvider or {}
  if not vim.tbl_contains(provider.commands or {}, 'grove.doctor') then
    health.info('this server has no grove.doctor (an older Grove): run `grove doctor` in a shell')
    return
  end
  local response, err = client:request_sync(
    'workspace/executeCommand',
    { command = 'grove.doctor', arguments = {} },
    DOCTOR_TIMEOUT_MS,
    vim.tbl_keys(client.attached_buffers)[1]
  )
  if not response or response.err then
    local why = response and (response.err.message or vim.inspect(response.err)) or tostring(err)
    health.error('grove.doctor failed: ' .. why, { 'run `grove doctor` in a shell' })
    return
  end
  local data = type(response.result) == 'table' and response.result.data or {}
  for _, check in ipairs(data.checks or {}) do
    local report = REPORTERS[check.state] or health.info
    local line = ('%s: %s'):format(check.name, check.detail)
    if type(check.fix) == 'string' and (check.state == 'warn' or check.state == 'fail') then
      report(line, { check.fix })
    else
      report(line)
    end
  end
  if data.ok then
    health.ok(data.summary or 'ready')
  else
    health.info(data.summary or 'completions are blocked')
  end
end

function M.check()
  check_neovim()
  check_server()
  local client = check_client()
  if client then
    check_setup(client)
  end
end

return M
