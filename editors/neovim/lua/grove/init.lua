-- Grove for Neovim: a thin client. The language server does the work; this module is the
-- plugin's public face: `setup()` (through `vim.lsp.config`/`vim.lsp.enable`), the LspAttach
-- hooks, and every function and field of `require('grove')`, each implemented by the module
-- that owns its concern:
--   lua/grove/config.lua       the setup{} options and their defaults
--   lua/grove/server.lua       the grove client, running server commands, a missing executable
--   lua/grove/inline.lua       inline completions: renderer, accept, cycle, dismiss, toggle
--   lua/grove/keymaps.lua      the insert-mode keys
--   lua/grove/commands.lua     :GroveDocstring, :GroveExplain*, :GroveReview and their results
--   lua/grove/diagnostics.lua  the diagnostic at the cursor, as sent to the server
--   lua/grove/statusline.lua   the server's status: statusline(), the push, :GroveStatus
--   lua/grove/ui.lua           notifications and floats

local commands = require('grove.commands')
local config = require('grove.config')
local diagnostics = require('grove.diagnostics')
local inline = require('grove.inline')
local keymaps = require('grove.keymaps')
local server = require('grove.server')
local statusline = require('grove.statusline')
local ui = require('grove.ui')

local M = {}

-- Live state: `require('grove').<name>` reads and writes the field of the module that owns it.
local STATE = {
  config = { config, 'current' }, -- grove.Config: the options in effect
  enabled = { inline, 'enabled' }, -- boolean: inline completions on (:GroveToggle)
  buffers = { inline, 'buffers' }, -- table<integer, integer>: bufnr -> grove client id
  last_status = { statusline, 'last_status' }, -- table?: the server's latest status
}

setmetatable(M, {
  __index = function(_, key)
    local owner = STATE[key]
    if owner then
      return owner[1][owner[2]]
    end
  end,
  __newindex = function(self, key, value)
    local owner = STATE[key]
    if owner then
      owner[1][owner[2]] = value
    else
      rawset(self, key, value)
    end
  end,
})

-- Messages (lua/grove/ui.lua)
M.notify = ui.notify
M.error = ui.error
M.float = ui.float

-- The server (lua/grove/server.lua)
M.client = server.client
M.server_has_command = server.has_command
M.execute = server.execute
M.check_server = server.check_installed

-- Inline completions (lua/grove/inline.lua)
M.renderer = inline.renderer
M.visible = inline.visible
M.insert = inline.insert
M.partial = inline.partial
M.accept = inline.accept
M.cycle = inline.cycle
M.dismiss = inline.dismiss
M.toggle = inline.toggle

-- Commands and their results (lua/grove/commands.lua, lua/grove/diagnostics.lua)
M.show_result = commands.show_result
M.docstring = commands.docstring
M.explain = commands.explain
M.explain_code_action = commands.explain_code_action
M.explain_diagnostic = commands.explain_diagnostic
M.review = commands.review
M.diagnostic_at = diagnostics.at

-- Status (lua/grove/statusline.lua)
M.on_status = statusline.on_status
M.statusline = statusline.text
M.status = statusline.show

--- Called for every client named 'grove' that attaches to a buffer (LspAttach).
---@param client vim.lsp.Client
---@param bufnr integer
function M.on_attach(client, bufnr)
  inline.attach(client, bufnr)
  keymaps.set(bufnr)
end

--- Called when a grove client leaves a buffer (LspDetach).
---@param bufnr integer
function M.on_detach(bufnr)
  inline.detach(bufnr)
end

--- Configure Grove (all fields optional) and enable the language server.
---@param opts? grove.Config
function M.setup(opts)
  opts = opts or {}
  local options = config.set(opts)
  inline.enabled = options.inline ~= false

  local lsp = vim.deepcopy(opts.lsp or {})
  if opts.cmd then
    lsp.cmd = opts.cmd
  end
  if opts.settings then
    lsp.settings = { grove = opts.settings }
  end
  if opts.filetypes then
    lsp.filetypes = opts.filetypes
  end
  if opts.root_markers then
    lsp.root_markers = opts.root_markers
  end
  if next(lsp) then
    vim.lsp.config(server.NAME, lsp)
  end
  if options.enable ~= false then
    server.enable()
  end
end

return M
