-- Grove user commands and the LspAttach hook (ghost text + keymaps for clients named 'grove').
-- Works with plain `vim.lsp.enable('grove')` as well as `require('grove').setup{}`.

if vim.g.loaded_grove then
  return
end
vim.g.loaded_grove = true

if vim.fn.has('nvim-0.11') ~= 1 then
  vim.notify('Grove: Neovim 0.11 or newer is required', vim.log.levels.ERROR)
  return
end

local group = vim.api.nvim_create_augroup('grove.attach', { clear = true })

vim.api.nvim_create_autocmd('LspAttach', {
  group = group,
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == 'grove' then
      local ok, err = pcall(require('grove').on_attach, client, args.buf)
      if not ok then
        vim.notify('Grove: attach failed: ' .. tostring(err), vim.log.levels.ERROR)
      end
    end
  end,
})

vim.api.nvim_create_autocmd('LspDetach', {
  group = group,
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == 'grove' then
      require('grove').on_detach(args.buf)
    end
  end,
})

vim.api.nvim_create_autocmd('FileType', {
  group = group,
  callback = function(args)
    vim.schedule(function()
      require('grove').check_server(args.buf)
    end)
  end,
})

-- Explanations stream into their float (see lua/grove/stream_float.lua).
vim.lsp.handlers['grove/explanationProgress'] = function(err, params, ctx)
  require('grove.stream_float').on_progress(err, params, ctx)
end

-- The server pushes its status when it changes (model, last error, busy).
vim.lsp.handlers['grove/status'] = function(_, params)
  require('grove').on_status(params)
end

-- "Explain" code actions run these commands; show them in the streaming float too.
for _, name in ipairs({ 'grove.explain', 'grove.explainDiagnostic' }) do
  vim.lsp.commands[name] = function(cmd)
    require('grove').explain_code_action(cmd)
  end
end

local function command(name, fn, opts)
  vim.api.nvim_create_user_command(name, fn, vim.tbl_extend('force', { force = true }, opts or {}))
end

command('GroveStatus', function()
  require('grove').status()
end, { desc = "Grove: show the server's status (model, endpoint, last error)" })

command('GroveRestart', function()
  require('grove.restart').restart()
end, { desc = 'Grove: restart the language server (and forget past crashes)' })

command('GroveToggle', function()
  require('grove').toggle()
end, { desc = 'Grove: turn inline completions on or off' })

command('GroveDocstring', function()
  require('grove').docstring()
end, { desc = 'Grove: generate a docstring for the function at the cursor' })

command('GroveExplain', function(opts)
  require('grove').explain(opts.range > 0)
end, { range = true, desc = 'Grove: explain the selection or the code at the cursor' })

command('GroveExplainDiagnostic', function()
  require('grove').explain_diagnostic()
end, { desc = 'Grove: explain the diagnostic under the cursor' })

command('GroveReview', function()
  require('grove').review()
end, { desc = 'Grove: review the current file' })
