-- Grove's options: the fields of `require('grove').setup{}`, their defaults, and the options in
-- effect (`require('grove').config`).

local M = {}

---@class grove.Keymaps
---@field accept string|false       accept the whole suggestion (falls through when none is shown)
---@field accept_word string|false
---@field accept_line string|false
---@field next string|false
---@field prev string|false
---@field dismiss string|false

---@class grove.Config
---@field cmd? string[]              server command (default from lsp/grove.lua: { 'grove', 'serve' })
---@field settings? table            the `grove` settings section (see the README's settings table)
---@field filetypes? string[]        only these filetypes (default: every buffer with a filetype)
---@field root_markers? string[]
---@field lsp? vim.lsp.Config        any other vim.lsp.config fields (capabilities, detached, ...)
---@field enable? boolean            call vim.lsp.enable('grove') in setup() (default true)
---@field inline? boolean            show inline completions (default true; :GroveToggle flips it)
---@field ghost_text? 'auto'|'native'|'extmark'
---@field debounce_ms? integer       extmark renderer only: wait after a keystroke (default 75)
---@field keymaps? grove.Keymaps|false
---@field restart? grove.RestartConfig|false  restart a crashed server with backoff (default on)

---@type grove.Config
local defaults = {
  enable = true,
  inline = true,
  ghost_text = 'auto',
  debounce_ms = 75,
  keymaps = {
    accept = '<Tab>',
    accept_word = '<M-w>',
    accept_line = '<M-l>',
    next = '<M-]>',
    prev = '<M-[>',
    dismiss = '<C-]>',
  },
}

--- The options in effect: the defaults until setup() runs.
---@type grove.Config
M.current = vim.deepcopy(defaults)

--- Make `opts` (over the defaults) the options in effect; returns them.
---@param opts grove.Config
---@return grove.Config
function M.set(opts)
  local current = vim.tbl_deep_extend('force', vim.deepcopy(defaults), opts)
  if opts.keymaps == false then
    current.keymaps = false
  end
  M.current = current
  return current
end

return M
