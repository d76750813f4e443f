"""HTML of the Markdown the recipes write in RESULTS.md, escaped with the standard library.

The subset is what the report stages print: ``#`` headings, ``-`` lists (nested by two
spaces, an indented line without a dash continuing the item above), pipe tables (a header
row, a ``|---|`` row, ``\\|`` for a bar inside a cell), fenced code blocks, and paragraphs;
inline, ``**bold**`` and ```code```. Every piece of text is escaped, so a RESULTS.md line
holding ``<`` or ``&`` shows as it reads and never becomes markup.
"""

import html
import re

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_ITEM = re.compile(r"^( *)[-*]\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_NUMBER = re.compile(r"^[-+–]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?$|^[-–]$")
_INLINE = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`")


def inline_html(text):
    """``text`` escaped, with ``**bold**`` and ```code``` as markup."""
    parts, end = [], 0
    for match in _INLINE.finditer(text):
        parts.append(html.escape(text[end:match.start()]))
        if match.group(1) is not None:
            parts.append(f"<strong>{html.escape(match.group(1))}</strong>")
        else:
            parts.append(f"<code>{html.escape(match.group(2))}</code>")
        end = match.end()
    parts.append(html.escape(text[end:]))
    return "".join(parts)


def table_cells(line):
    """The cells of a pipe-table row, stripped, ``\\|`` turned back into ``|``."""
    cells = re.split(r"(?<!\\)\|", line.strip())
    if cells and cells[0].strip() == "":
        cells = cells[1:]
    if cells and cells[-1].strip() == "":
        cells = cells[:-1]
    return [cell.strip().replace("\\|", "|") for cell in cells]


def html_table(header, rows, numeric_columns=None):
    """A <table> of cells given as HTML, in a box that scrolls sideways when too wide. Body
    cells right-aligned: those of ``numeric_columns``, or when None, those that hold a number."""
    def body_cell(column, cell):
        numeric = _NUMBER.match(cell) if numeric_columns is None else column in numeric_columns
        return ('<td class="num">' if numeric else "<td>") + f"{cell}</td>"

    # A header such as 'list_test_hard2 minDCF(p=0.01)' may break before its '(' too, so
    # that a wide table of short numbers still fits the page.
    header = [cell.replace("(", "<wbr>(") for cell in header]
    lines = ['<div class="table"><table>',
             "<thead><tr>" + "".join(f"<th>{cell}</th>" for cell in header) + "</tr></thead>",
             "<tbody>"]
    for row in rows:
        row = list(row) + [""] * (len(header) - len(row))
        lines.append("<tr>" + "".join(body_cell(c, cell) for c, cell in enumerate(row)) + "</tr>")
    lines.append("</tbody></table></div>")
    return "\n".join(lines)


def _list_html(items):
    """Nested <ul> of ``[(depth, text)]``."""
    out, depth = [], -1
    for item_depth, text in items:
        item_depth = min(item_depth, depth + 1)
        if item_depth > depth:
            out.append("<ul>" * (item_depth - depth))
        else:
            out.append("</li>" + "</ul></li>" * (depth - item_depth))
        out.append(f"<li>{inline_html(text)}")
        depth = item_depth
    out.append("</li>" + "</ul></li>" * depth + "</ul>")
    return "".join(out)


def markdown_html(text, heading_offset=0):
    """The HTML of ``text``; headings go ``heading_offset`` levels deeper (at most h6)."""
    lines = text.splitlines()
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.lstrip().startswith("```"):
            end = i + 1
            while end < len(lines) and not lines[end].lstrip().startswith("```"):
                end += 1
            out.append(f"<pre>{html.escape(chr(10).join(lines[i + 1:end]))}</pre>")
            i = end + 1
        elif _HEADING.match(line):
            marks, title = _HEADING.match(line).groups()
            level = min(6, len(marks) + heading_offset)
            out.append(f"<h{level}>{inline_html(title)}</h{level}>")
            i += 1
        elif line.lstrip().startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1]):
            header, rows, i = table_cells(line), [], i + 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(table_cells(lines[i]))
                i += 1
            out.append(html_table([inline_html(c) for c in header],
                                  [[inline_html(c) for c in row] for row in rows]))
        elif _ITEM.match(line):
            items = []
            while i < len(lines) and lines[i].strip():
                match = _ITEM.match(lines[i])
                if match:
                    items.append((len(match.group(1)) // 2, match.group(2)))
                elif lines[i].startswith(" "):      # a continuation of the item above
                    depth, item = items[-1]
                    items[-1] = (depth, f"{item} {lines[i].strip()}")
                else:
                    break
                i += 1
            out.append(_list_html(items))
        else:
            paragraph = []
            while i < len(lines) and lines[i].strip() and not _starts_block(lines, i):
                paragraph.append(lines[i].strip())
                i += 1
            out.append(f"<p>{inline_html(' '.join(paragraph))}</p>")
    return "\n".join(out) + "\n"


def _starts_block(lines, i):
    line = lines[i]
    return bool(_HEADING.match(line) or _ITEM.match(line) or line.lstrip().startswith("```")
                or (line.lstrip().startswith("|") and i + 1 < len(lines)
                    and _TABLE_RULE.match(lines[i + 1])))
