"""Run a benchmark's ``main()`` and leave without the interpreter's shutdown.

The ``bpy`` module (4.5) can deadlock in its C++ static destructors at exit (see
``tests/addon/conftest.py``), so a benchmark that imported it ends with ``os._exit``. That skips
the interpreter's own report of an uncaught exception and its flushing, so both are done here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn


def run_and_exit(main: Callable[[], int | None]) -> NoReturn:
    """``os._exit`` with ``main()``'s return code (None: 0); an exception is printed and gives
    1, ``sys.exit(message)`` prints the message and gives 1, ``sys.exit(n)`` gives n."""
    try:
        code = main()
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # print it: os._exit skips the interpreter's own report
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
