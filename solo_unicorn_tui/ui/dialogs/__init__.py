"""Modal dialogs (``ModalScreen``), one per module; full screens live in ``ui/screens``."""
