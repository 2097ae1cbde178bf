-- The insert-mode keys of a grove buffer (`keymaps` in setup{}): accept, accept a word or a
-- line, next, previous, dismiss. Each falls through to the key itself when nothing is shown.

local config = require('grove.config')
local inline = require('grove.inline')
local ui = require('grove.ui')

local M = {}

--- Map the configured keys in a buffer (none when `keymaps = false`).
---@param bufnr integer
function M.set(bufnr)
  local keys = config.current.keymaps
  if not keys then
    return
  end
  local function map(lhs, desc, fn)
    if not lhs then
      return
    end
    vim.keymap.set('i', lhs, function()
      local ok, handled = pcall(fn)
      if not ok then
        ui.error(tostring(handled))
        handled = false
      end
      if handled then
        return ''
      end
      return vim.keycode(lhs)
    end, { buffer = bufnr, expr = true, replace_keycodes = false, desc = 'Grove: ' .. desc })
  end
  map(keys.accept, 'accept suggestion', function()
    return inline.accept('all')
  end)
  map(keys.accept_word, 'accept next word', function()
    return inline.accept('word')
  end)
  map(keys.accept_line, 'accept line', function()
    return inline.accept('line')
  end)
  map(keys.next, 'next suggestion', function()
    return inline.cycle(1)
  end)
  map(keys.prev, 'previous suggestion', function()
    return inline.cycle(-1)
  end)
  map(keys.dismiss, 'dismiss suggestion', function()
    return inline.dismiss()
  end)
end

return M
