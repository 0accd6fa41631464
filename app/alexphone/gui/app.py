"""Start the desktop app: QApplication, look, icon, profile database, window, engine."""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from alexphone.gui.bridge import EngineRunner
from alexphone.gui.collector import GuiThreadCollector
from alexphone.gui.dial_box import DialCheck
from alexphone.gui.main_window import MainWindow, WindowContext
from alexphone.gui.single_instance import InstanceServer, hand_over
from alexphone.gui.style import THEME_VARIABLE, apply_style
from alexphone.gui.window_models import WindowModels
from alexphone.store.profile import make_profile
from alexphone.store.profile_check import open_profile_database

ICON_SIZES = (16, 32, 48, 64, 128, 256)
LOG_NAME = "alexphone.log"


def resources_dir() -> Path | None:
    """Return the resources/ directory of a source tree or bundle, or None if absent."""
    here = Path(__file__).resolve().parents
    for candidate in (
        here[3] / "resources",
        Path(sys.prefix) / "share" / "alexphone",
        # pip --prefix/--user (a Flatpak's /app): PREFIX/lib/pythonX.Y/site-packages/alexphone/gui
        *([here[5] / "share" / "alexphone"] if len(here) > 5 else []),
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


def _log_to_profile(profile: Path) -> Path | None:
    path = profile / LOG_NAME
    try:
        make_profile(profile)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:  # an unwritable profile: its notice says so; the log stays on stderr
        return None
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
    notices: Sequence[str] = (),
) -> tuple[QApplication, MainWindow]:
    """Create (or reuse) the QApplication and the main window for ``profile``, not shown yet.

    ``notices`` (what was wrong with the profile) and the database's own are shown in the
    window; a newer or broken database is set aside and a fresh one used.
    """
    app = application(argv)
    app.setApplicationName("Alexphone")
    app.setDesktopFileName("alexphone")
    if app.findChild(GuiThreadCollector) is None:  # once per application
        GuiThreadCollector(app)
        apply_style(app)
        if not os.environ.get(THEME_VARIABLE):  # follow the desktop going dark or light
            app.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_style(app))
    resources = resources_dir()
    icon = load_icon(resources)
    app.setWindowIcon(icon)
    database, notice = open_profile_database(profile)
    if notice is not None and notice.text not in notices:  # an unwritable profile: said once
        notices = [*notices, notice.text]
    for text in notices:
        print(f"alexphone: {text}", file=sys.stderr)
    context = WindowContext(
        profile=profile,
        database=database,
        runner=runner,
        check=check,
        icon=icon,
        sounds=resources / "sounds" if resources is not None else None,
        log_path=_log_to_profile(profile),
    )
    window = MainWindow(context, WindowModels.build(context.database))
    window.show_profile_notices(notices)
    return app, window


def run_gui(
    profile: Path,
    runner: Callable[[], EngineRunner],
    check: DialCheck,
    dial: str | None = None,
    notices: Sequence[str] = (),
) -> int:
    """Show the window, start the engine, dial ``dial`` if given; return the exit status.

    When a window for ``profile`` is already open, hand it ``dial`` and return 0 at once.
    """
    application()
    if hand_over(profile, dial):
        return 0
    windows: list[MainWindow] = []  # the window, once there is one to close
    asked: list[int] = []  # signals that came while it was being built
    for number in (signal.SIGINT, signal.SIGTERM):  # close cleanly: unregister, BYE
        signal.signal(number, lambda n, _f: windows[0].close() if windows else asked.append(n))
    app, window = build_window(profile, runner, check, notices=notices)
    windows.append(window)
    if asked:
        return 0
    instance = InstanceServer(profile, window)
    instance.launched.connect(window.launched)
    instance.listen()
    wake = QTimer(app)  # Python runs signal handlers only when the interpreter gets control
    wake.timeout.connect(lambda: None)
    wake.start(250)
    window.show()
    window.start_engine()
    if dial:
        window.launched(dial)
    elif window.needs_first_run() and not notices:  # a broken profile is not a new one
        window.open_first_run()
    status = app.exec()
    instance.close()
    return status
