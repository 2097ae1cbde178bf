-- The grove language server as the plugin reaches it: the client for a buffer, enabling the
-- config, running the server's workspace commands, and saying so when the executable is missing.

local ui = require('grove.ui')

local M = {}

--- The client name (and vim.lsp.config name) of the server.
M.NAME = 'grove'

--- setup() enabled the config (Neovim 0.11.0 has no vim.lsp.is_enabled to ask).
local lsp_enabled = false

--- The missing-server message was shown (it is shown once).
local missing_reported = false

--- The grove client for a buffer (or any grove client when the buffer has none).
---@param bufnr? integer
---@return vim.lsp.Client?
function M.client(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local clients = vim.lsp.get_clients({ name = M.NAME, bufnr = bufnr })
  if #clients == 0 then
    clients = vim.lsp.get_clients({ name = M.NAME })
  end
  return clients[1]
end

--- vim.lsp.enable the grove config (setup() does, unless `enable = false`).
function M.enable()
  lsp_enabled = true
  vim.lsp.enable(M.NAME)
end

--- Whether the server advertises a workspace command.
---@param client vim.lsp.Client
---@param command string
---@return boolean
function M.has_command(client, command)
  local provider = client.server_capabilities.executeCommandProvider
  local commands = type(provider) == 'table' and provider.commands or {}
  return vim.list_contains(commands, command)
end

--- Run a server command with workspace/executeCommand; `on_result(result)` on success,
--- `on_error(message)` (after the error is shown) on failure.
--- Prints a clear message (and does nothing else) when the server does not offer the command.
---@param command string
---@param arguments? any[]
---@param on_result? fun(result: any, client: vim.lsp.Client)
---@param on_error? fun(message: string)
---@return boolean sent
function M.execute(command, arguments, on_result, on_error)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = M.client(bufnr)
  if not client then
    ui.notify('no Grove language server is running for this buffer', vim.log.levels.WARN)
    return false
  end
  if not M.has_command(client, command) then
    local version = client.server_info and client.server_info.version
    ui.notify(
      ('the command "%s" is not supported by this server (grove %s)'):format(
        command,
        version or '?'
      ),
      vim.log.levels.WARN
    )
    return false
  end
  client:request('workspace/executeCommand', {
    command = command,
    arguments = arguments,
  }, function(err, result)
    if err then
      local message = err.message or vim.inspect(err)
      ui.error(('%s failed: %s'):format(command, message))
      if on_error then
        on_error(message)
      end
      return
    end
    if on_result then
      on_result(result, client)
    end
  end, bufnr)
  return true
end

--- Neovim skips a config whose command is not executable with only a line in the LSP log;
--- say it once, visibly, when a buffer Grove would serve is opened.
---@param bufnr integer
function M.check_installed(bufnr)
  if missing_reported or not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  local enabled = lsp_enabled
  if vim.lsp.is_enabled then
    enabled = vim.lsp.is_enabled(M.NAME)
  end
  if not enabled or vim.bo[bufnr].buftype ~= '' then
    return
  end
  local ok, config = pcall(function()
    return vim.lsp.config[M.NAME]
  end)
  if not ok or not config or type(config.cmd) ~= 'table' or not config.cmd[1] then
    return
  end
  local filetypes = config.filetypes
  if type(filetypes) == 'table' and not vim.list_contains(filetypes, vim.bo[bufnr].filetype) then
    return
  end
  if vim.fn.executable(config.cmd[1]) == 1 then
    return
  end
  missing_reported = true
  ui.notify(
    ('language server `%s` not found: install it from a clone of the Grove repository with '
      .. "`pip install -e '<clone>[local]'` (see the Grove README), or set `cmd` in "
      .. "require('grove').setup{} (see :checkhealth grove)"):format(config.cmd[1]),
    vim.log.levels.ERROR
  )
end

return M
