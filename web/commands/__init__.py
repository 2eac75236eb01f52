"""One module per ``fzkg`` sub-command; each exposes ``register(subparsers)``.

A command's handler takes the parsed arguments and returns the process exit code.
"""
