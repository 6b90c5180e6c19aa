"""The Textual board. Where things live:

- ``app.py`` — the thin app shell; ``commands.py`` — the command palette (ctrl+p).
- ``screens/`` — full screens, one per module (board, mission, review, project settings,
  session logs); ``dialogs/`` — modal dialogs (forms, confirm, filter, help, pickers).
- ``widgets/`` — one widget per module; they never read the database or git themselves.
- ``board_data.py`` — every read and write the screens need, as async calls over storage
  (no Textual, no screen imports); the SQL itself is in ``storage/``.
- ``runtime_host.py``, ``sync_host.py`` — run the agent runtime and the sync service beside the
  UI and *post* messages (``messages.py``) to the board screen, which calls down into widgets.
- ``errors.py`` — :func:`~solo_unicorn_tui.ui.errors.report_failure`, the one way a failed
  read or write becomes one line on screen instead of a traceback.

One CSS rule: screens, dialogs and the app keep their styles in ``.tcss`` files loaded with
``CSS_PATH`` (a screen's file sits beside its module; ``app.tcss`` holds the dialogs' styles);
a widget keeps its own small ``DEFAULT_CSS`` in its class (Textual loads ``CSS_PATH`` only for
apps and screens). No module reads a ``.tcss`` file by hand.
"""
