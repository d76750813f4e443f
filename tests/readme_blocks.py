"""The indented code blocks of a Markdown file, for tests that run README's examples as written.

A block is a run of lines indented by four spaces (blank lines inside it included), after a
blank line, outside fenced blocks; its text comes back with the indent removed.
"""


def indented_blocks(text):
    blocks, current, previous_blank, fenced = [], [], True, False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("    ") and (current or previous_blank):
            current.append(line[4:])
        elif current and not line.strip():
            current.append("")
        else:
            if current:
                blocks.append("\n".join(current).strip("\n"))
            current = []
        previous_blank = not line.strip()
    if current:
        blocks.append("\n".join(current).strip("\n"))
    return blocks
