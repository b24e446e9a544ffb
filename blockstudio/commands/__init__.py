"""The headless ``blockstudio`` commands (export, trace, check); ``cli.py`` only dispatches here.

Commands may import core and engine; core and engine never import commands or the CLI.
"""
