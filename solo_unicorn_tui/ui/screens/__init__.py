"""Full screens, one per module; modal dialogs live in ``ui/dialogs``."""
