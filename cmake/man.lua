-- man.lua - pandoc filter: a docs/ page becomes a man page (cmake/Man.cmake).
-- The page's first line, "# NAME - summary", becomes the NAME section that
-- whatis and apropos read; its "##" sections become the man sections
-- (.SH), "###" subsections (.SS). A SEE ALSO section is appended: the other
-- pages (metadata "see_also") and where the documents a page cites by file
-- name (configuration.md, ...) are installed (metadata "docdir").

local function meta_string(meta, key)
  local v = meta[key]
  if v == nil then
    return nil
  end
  return pandoc.utils.stringify(v)
end

-- A table reads badly at 80 columns in a terminal: each row becomes a
-- tagged paragraph (.TP), the first cell its tag, as man pages list options.
-- With more than two columns, each further cell is led by its column name.
function Table(tbl)
  local simple = pandoc.utils.to_simple_table(tbl)
  local items = {}
  for _, row in ipairs(simple.rows) do
    local def = {}
    for i = 2, #row do
      local cell = row[i]
      if #simple.headers > 2 and #cell > 0 then
        local head = pandoc.utils.stringify(simple.headers[i])
        def[#def + 1] = pandoc.Plain({ pandoc.Emph({ pandoc.Str(head .. ":") }) })
      end
      for _, block in ipairs(cell) do
        def[#def + 1] = block
      end
    end
    items[#items + 1] = { pandoc.utils.blocks_to_inlines(row[1]), { def } }
  end
  return pandoc.DefinitionList(items)
end

function Pandoc(doc)
  local blocks = {}
  local name
  for _, b in ipairs(doc.blocks) do
    if b.t == "Header" and b.level == 1 and not name then
      local text = pandoc.utils.stringify(b.content)
      local summary
      name, summary = text:match("^(%S+) %- (.+)$")
      if not name then
        error("the first line must be '# NAME - summary', not '# " .. text .. "'")
      end
      doc.meta.title = pandoc.MetaString(name)
      blocks[#blocks + 1] = pandoc.Header(1, "NAME")
      blocks[#blocks + 1] = pandoc.Plain({ pandoc.Str(name), pandoc.Space(),
        pandoc.RawInline("man", "\\-"), pandoc.Space(), pandoc.Str(summary) })
    elseif b.t == "Header" then
      if not name then
        error("a section comes before the '# NAME - summary' line")
      end
      b.level = math.max(1, b.level - 1)
      if b.level == 1 then
        -- Section names in capitals, as man pages have them; code stays as written.
        b = pandoc.walk_block(b, { Str = function(s) return pandoc.Str(s.text:upper()) end })
      end
      blocks[#blocks + 1] = b
    else
      blocks[#blocks + 1] = b
    end
  end
  if not name then
    error("no '# NAME - summary' line")
  end

  local see = {}
  for page in (meta_string(doc.meta, "see_also") or ""):gmatch("%S+") do
    if page ~= name then
      if #see > 0 then
        see[#see + 1] = pandoc.Str(",")
        see[#see + 1] = pandoc.Space()
      end
      see[#see + 1] = pandoc.Strong({ pandoc.Str(page) })
      see[#see + 1] = pandoc.Str("(1)")
    end
  end
  blocks[#blocks + 1] = pandoc.Header(1, "SEE ALSO")
  if #see > 0 then
    blocks[#blocks + 1] = pandoc.Para(see)
  end
  local docdir = meta_string(doc.meta, "docdir")
  if docdir then
    blocks[#blocks + 1] = pandoc.Para({ pandoc.Str("The"), pandoc.Space(),
      pandoc.Str("documents"), pandoc.Space(), pandoc.Str("this"), pandoc.Space(),
      pandoc.Str("page"), pandoc.Space(), pandoc.Str("names"), pandoc.Space(),
      pandoc.Str("by"), pandoc.Space(), pandoc.Str("file"), pandoc.Space(),
      pandoc.Str("(configuration.md,"), pandoc.Space(), pandoc.Str("exit-codes.md,"),
      pandoc.Space(), pandoc.Str("operations.md,"), pandoc.Space(),
      pandoc.Str("...)"), pandoc.Space(), pandoc.Str("are"), pandoc.Space(),
      pandoc.Str("in"), pandoc.Space(), pandoc.Code(docdir) , pandoc.Str(".") })
  end
  return pandoc.Pandoc(blocks, doc.meta)
end
