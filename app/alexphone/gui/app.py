"""Start the desktop app: QApplication, look, icon, profile database, window, engine."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from alexphone.gui.bridge import EngineRunner
from alexphone.gui.dial_box import DialCheck
from alexphone.gui.main_window import MainWindow, WindowContext
from alexphone.gui.single_instance import InstanceServer, hand_over
from alexphone.gui.style import apply_style
from alexphone.gui.window_models import WindowModels
from alexphone.store.database import DATABASE_NAME, open_database

ICON_SIZES = (16, 32, 48, 64, 128, 256)
LOG_NAME = "alexphone.log"


def resources_dir() -> Path | None:
    """Return the resources/ directory of a source tree or bundle, or None if absent."""
    for candidate in (
        Path(__file__).resolve().parents[3] / "resources",
        Path(sys.prefix) / "share" / "alexphone",
    ):
        if (candidate / "icons").is_dir():
            return candidate
    return None


def load_icon(resources: Path | None) -> QIcon:
    """Return the app icon with every PNG size found (empty icon when none)."""
    icon = QIcon()
    if resources is not None:
        for size in ICON_SIZES:
            path = resources / "icons" / f"alexphone-{size}.png"
            if path.is_file():
                icon.addFile(str(path))
    return icon


def _log_to_profile(profile: Path) -> Path:
    profile.mkdir(parents=True, exist_ok=True)
    path = profile / LOG_NAME
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return path


def application(argv: Sequence[str] = ()) -> QApplication:
    """Return the process's QApplication, creating it on first use."""
    existing = QApplication.instance()
    return existing if isinstance(existing, QApplication) else QApplication(["alexphone", *argv])


def build_window(
    profile: Path,
    runner: Callable[[], EngineRunner],
    check: DialCheck,
    argv: Sequence[str] = (),
) -> tuple[QApplication, MainWindow]:
    """Create (or reuse) the QApplication and the main window for ``profile``, not shown yet."""
    app = application(argv)
    app.setApplicationName("Alexphone")
    app.setDesktopFileName("alexphone")
    apply_style(app)
    resources = resources_dir()
    icon = load_icon(resources)
    app.setWindowIcon(icon)
    context = WindowContext(
        profile=profile,
        database=open_database(profile / DATABASE_NAME),
        runner=runner,
        check=check,
        icon=icon,
        sounds=resources / "sounds" if resources is not None else None,
        log_path=_log_to_profile(profile),
    )
    return app, MainWindow(context, WindowModels.build(context.database))


def run_gui(
    profile: Path, runner: Callable[[], EngineRunner], check: DialCheck, dial: str | None = None
) -> int:
    """Show the window, start the engine, dial ``dial`` if given; return the exit status.

    When a window for ``profile`` is already open, hand it ``dial`` and return 0 at once.
    """
    application()
    if hand_over(profile, dial):
        return 0
    app, window = build_window(profile, runner, check)
    instance = InstanceServer(profile, window)
    instance.launched.connect(window.launched)
    instance.listen()
    for number in (signal.SIGINT, signal.SIGTERM):  # close cleanly: unregister, BYE
        signal.signal(number, lambda _n, _f: window.close())
    wake = QTimer(app)  # Python runs signal handlers only when the interpreter gets control
    wake.timeout.connect(lambda: None)
    wake.start(250)
    window.show()
    window.start_engine()
    if dial:
        window.launched(dial)
    elif window.needs_first_run():
        window.open_first_run()
    status = app.exec()
    instance.close()
    return status
