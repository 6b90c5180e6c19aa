"""GitHub for PR mode: the REST client, pushing a branch, opening and refreshing pull requests.

Nothing is imported here: :mod:`.push` and :mod:`.pr_mode` load GitPython, which fails at import
without a git binary, so callers import the module they need where they need it.
"""
