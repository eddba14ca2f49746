"""Where the commands print their results."""

from __future__ import annotations

from rich.console import Console

# A result line names a path a user copies (the release folder, the written statement,
# the published file). Never folded at the terminal's width (80 columns when the output
# goes to a log), where a fold puts a newline inside the path.
console = Console(soft_wrap=True)
