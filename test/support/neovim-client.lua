-- Neovim 0.7 (Debian's; an LSP client without workspace/configuration, without pulled diagnostics)
-- driving the language server as a user's config would: test/unit/neovim.test.ts runs
--   nvim --headless -u NONE -i NONE -n -c 'luafile test/support/neovim-client.lua'
-- with IAM_NODE (node), IAM_CLI (bin/iam-refine.js), IAM_ROOT (a copy of the example) and IAM_OUT (where the
-- results go, as JSON). What it does: opens policy.json, waits for the published diagnostics, asks
-- for the code actions on s3:Get*, applies "Refine s3:Get* to 9 patterns" and waits for the
-- diagnostics of the edited text.
local out = { steps = {} }
local function step(s) table.insert(out.steps, s) end
local root = os.getenv('IAM_ROOT')
local function finish()
  vim.fn.writefile({ vim.fn.json_encode(out) }, os.getenv('IAM_OUT'))
  vim.cmd('qa!')
end
local id = vim.lsp.start_client({
  -- as the README's Neovim setup starts it: iam-refine lsp --stdio
  cmd = { os.getenv('IAM_NODE') or 'node', os.getenv('IAM_CLI'), 'lsp', '--stdio' },
  root_dir = root,
  name = 'iam_refiner',
  -- no workspace/configuration in 0.7: the settings come with initialize
  init_options = { settings = { findings = { '**/*findings*.json' } } },
})
if not id then
  out.error = 'the client did not start'
  return finish()
end
vim.cmd('edit ' .. root .. '/policy.json')
local buf = vim.api.nvim_get_current_buf()
vim.lsp.buf_attach_client(buf, id)
local function ours()
  local r = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == 'iam-refiner' then table.insert(r, d) end
  end
  table.sort(r, function(a, b) return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col) end)
  return r
end
local function summary(ds)
  local r = {}
  for _, d in ipairs(ds) do
    table.insert(r, { lnum = d.lnum, col = d.col, end_lnum = d.end_lnum, end_col = d.end_col, code = d.code, message = d.message, severity = d.severity })
  end
  return r
end
if not vim.wait(30000, function() return #ours() >= 9 end, 20) then
  out.error = 'no diagnostics within 30 s'
  out.first = summary(ours())
  return finish()
end
step('diagnostics')
local client = vim.lsp.get_client_by_id(id)
out.pulls = client.server_capabilities.diagnosticProvider ~= nil
out.first = summary(ours())
-- the code actions on s3:Get*, with its diagnostic as 0.7 keeps it (the LSP fields in user_data.lsp)
local wildcard
for _, d in ipairs(ours()) do if d.code == 'unused-wildcard' then wildcard = d end end
local lsp = wildcard.user_data and wildcard.user_data.lsp or {}
local range = { start = { line = wildcard.lnum, character = wildcard.col }, ['end'] = { line = wildcard.end_lnum, character = wildcard.end_col } }
local diagnostic = { range = range, message = wildcard.message, severity = wildcard.severity + 0, source = wildcard.source, code = wildcard.code, data = lsp.data }
local replies = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', { textDocument = { uri = vim.uri_from_bufnr(buf) }, range = range, context = { diagnostics = { diagnostic } } }, 10000) or {}
out.titles = {}
local chosen
for _, reply in pairs(replies) do
  for _, a in ipairs(reply.result or {}) do
    table.insert(out.titles, a.title)
    if not chosen and a.edit and a.title:match('^Refine s3:Get%* to 9 patterns') then chosen = a end
  end
end
if not chosen then
  out.error = 'no "Refine s3:Get* to 9 patterns" action'
  return finish()
end
step('code actions')
vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
out.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
-- the edited buffer's diagnostics: the eight lambda actions, no wildcard
if not vim.wait(30000, function()
  local ds = ours()
  if #ds ~= 8 then return false end
  for _, d in ipairs(ds) do if d.code ~= 'unused-action' then return false end end
  return true
end, 20) then
  out.error = 'the diagnostics of the edited text did not come'
  out.after = summary(ours())
  return finish()
end
step('after the fix')
out.after = summary(ours())
finish()
