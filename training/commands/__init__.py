"""One module per ``python -m training`` command (see :mod:`training.cli`)."""
