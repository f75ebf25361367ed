"""The app on a real X server (Xvfb): the start-up check lets it open its window, and with
libxcb-cursor0 hidden (an empty file mounted over it in a private mount namespace, as on a
fresh desktop without the package) or the X server gone it says what to do in one line and
exits 1 — where Qt alone aborts with a core dump. Skipped where Xvfb or namespaces are not."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradstudio.ui.desktop import x_server_answers

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).with_name("argument_app.py")
SQUARE = ROOT / "resources" / "examples" / "square.gsgraph"


@pytest.fixture(scope="module")
def display():
    """A private Xvfb on a display number helpers leave free (:150 and up)."""
    if shutil.which("Xvfb") is None:
        pytest.skip("no Xvfb")
    for number in range(150, 200):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}") and \
                not os.path.exists(f"/tmp/.X{number}-lock"):
            break
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    name = f":{number}"
    deadline = time.monotonic() + 20
    while not x_server_answers(name):
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.skip("Xvfb did not start")
        time.sleep(0.05)
    yield name
    server.terminate()
    server.wait(10)


def _env(tmp_path: Path, display: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")}
    env.update(PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    if display:
        env["DISPLAY"] = display
    return env


def _library_path(soname: str) -> str:
    """Where the dynamic loader finds ``soname`` (read from this process's own mappings)."""
    import ctypes

    ctypes.CDLL(soname)
    with open("/proc/self/maps") as maps:
        for line in maps:
            if soname.split(".so")[0] + ".so" in line:
                return line.split()[-1]
    raise LookupError(soname)


def test_the_probe_holds_its_connection_until_qt_has_one(display: str) -> None:
    """Xvfb (as xvfb-run starts it) resets when its last client leaves and refuses
    connections meanwhile: closing the probe's connection before Qt connects made Qt's
    attempt fail now and then ("could not connect to display", abort)."""
    from gradstudio.ui import desktop

    assert x_server_answers(display) and len(desktop._held) == 1
    desktop.release()
    assert desktop._held == []


def test_the_window_opens_on_a_real_x_server(tmp_path: Path, display: str) -> None:
    done = subprocess.run([sys.executable, str(APP), "none", str(SQUARE)], capture_output=True,
                          text=True, timeout=120, env=_env(tmp_path, display), cwd=tmp_path)
    assert "RUNNING square.gsgraph[*] — GradStudio 2" in done.stdout, done.stderr
    assert done.returncode == 0


def test_without_libxcb_cursor0_one_line_says_what_to_install(tmp_path: Path,
                                                              display: str) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("no unshare")
    try:
        library = _library_path("libxcb-cursor.so.0")
    except (OSError, LookupError):
        pytest.skip("libxcb-cursor0 is not installed here to hide")
    empty = tmp_path / "empty.so"
    empty.touch()
    hide = f"mount --bind {empty} {library}"
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"{hide} && true"],
                           capture_output=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip("no private mount namespace here")
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", f'{hide} && exec "$0" -m gradstudio', sys.executable],
        capture_output=True, text=True, timeout=120, env=_env(tmp_path, display), cwd=tmp_path)
    assert done.returncode == 1, done.stderr  # Qt alone: 134, "Aborted", a core dump
    assert done.stderr == (
        "gradstudio: error: cannot open a window: Qt's X11 platform needs libxcb-cursor.so.0, "
        "which is not installed: sudo apt-get install libxcb-cursor0 (Debian/Ubuntu; on "
        "Fedora or Arch the xcb-util packages, such as xcb-util-cursor)\n")


def test_an_x_server_that_is_gone(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "gradstudio"], capture_output=True,
                          text=True, timeout=60, env=_env(tmp_path, ":199"), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr == ("gradstudio: error: cannot open a window: the X server at "
                           "DISPLAY=:199 does not answer (is it running, and may this user "
                           "connect to it? see 'xhost')\n")
