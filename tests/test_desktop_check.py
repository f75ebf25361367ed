"""Before Qt starts: a desktop that cannot show a window (no display, the xcb plugin's
libraries missing, an X server that does not answer) is told in one line what to install or
set, and the app exits with code 1 instead of Qt's abort and core dump. The probe is
simulated here; ``test_desktop_start.py`` runs the real thing (Xvfb, a hidden library)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gradstudio.ui import desktop
from gradstudio.ui.desktop import XCB_LIBRARIES, package_of, problem

ROOT = Path(__file__).resolve().parents[1]


def _all_load(soname: str) -> bool:
    return True


def _answers(display: str) -> bool:
    return True


def _check(env: dict[str, str], loads=_all_load, answers=_answers, platform="linux"
           ) -> str | None:
    return problem(env, platform, loads, answers)


def test_a_desktop_with_everything_can_open_a_window() -> None:
    assert _check({"DISPLAY": ":0"}) is None
    assert _check({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}) is None


def test_without_libxcb_cursor0_it_says_what_to_install() -> None:
    said = _check({"DISPLAY": ":0"}, loads=lambda s: s != "libxcb-cursor.so.0")
    assert said == ("cannot open a window: Qt's X11 platform needs libxcb-cursor.so.0, which "
                    "is not installed: sudo apt-get install libxcb-cursor0 (Debian/Ubuntu; "
                    "on Fedora or Arch the xcb-util packages, such as xcb-util-cursor)")


def test_several_missing_libraries_are_named_together() -> None:
    said = _check({"DISPLAY": ":0"}, loads=lambda s: s not in (
        "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"))
    assert "needs libxcb-icccm.so.4, libxkbcommon-x11.so.0, which are not installed" in said
    assert "sudo apt-get install libxcb-icccm4 libxkbcommon-x11-0 " in said


def test_no_display_says_what_to_set() -> None:
    for env in ({}, {"QT_QPA_PLATFORM": "xcb"}, {"DISPLAY": ""}):
        said = _check(env)
        assert said is not None and said.startswith(
            "cannot open a window: no display (set DISPLAY or WAYLAND_DISPLAY")
        assert "gradstudio run FILE" in said and "\n" not in said


def test_an_x_server_that_does_not_answer() -> None:
    said = _check({"DISPLAY": ":42"}, answers=lambda d: False)
    assert said == ("cannot open a window: the X server at DISPLAY=:42 does not answer (is "
                    "it running, and may this user connect to it? see 'xhost')")


def test_platforms_qt_speaks_for_itself_are_not_checked() -> None:
    for platform in ("offscreen", "minimal", "vnc", "eglfs", "xcb;offscreen"):
        assert _check({"QT_QPA_PLATFORM": platform}, loads=lambda s: False) is None
    for system in ("darwin", "win32"):
        assert _check({}, platform=system) is None


def test_wayland(tmp_path: Path) -> None:
    (tmp_path / "wayland-0").touch()  # the compositor's socket
    session = {"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0",
               "XDG_RUNTIME_DIR": str(tmp_path)}
    nothing_loads = {"loads": lambda s: False, "answers": lambda d: False}
    assert _check(session, **nothing_loads) is None  # X11's libraries are not needed
    assert _check({**session, "QT_QPA_PLATFORM": "wayland"}, **nothing_loads) is None
    gone = {**session, "WAYLAND_DISPLAY": "wayland-9"}
    assert _check({**gone, "DISPLAY": ":0"}) is None  # Qt falls back to X11
    said = _check({**gone, "QT_QPA_PLATFORM": "wayland"})
    assert said == ("cannot open a window: no Wayland compositor at WAYLAND_DISPLAY=wayland-9 "
                    "(start the app in a desktop session)")


def test_the_package_names_are_debians() -> None:
    """Each library this machine has, against the package dpkg says holds it."""
    if shutil.which("dpkg") is None:
        pytest.skip("not a Debian system")
    checked = 0
    for soname in XCB_LIBRARIES:
        found = subprocess.run(["dpkg", "-S", f"*/{soname}"], capture_output=True, text=True)
        if found.returncode == 0:
            assert found.stdout.split(":")[0] == package_of(soname), soname
            checked += 1
    if checked == 0:
        pytest.skip("none of the xcb libraries is installed here")


def test_the_real_probe_finds_a_library_and_not_a_made_up_one() -> None:
    assert desktop._loads("libc.so.6")
    assert not desktop._loads("libgradstudio-no-such-library.so.0")
    assert not desktop.x_server_answers(":199")  # no server there (helpers use :50-:99)
    assert desktop._held == []


def test_the_app_without_a_display_says_one_line_and_exits_1(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "XDG_SESSION_TYPE")}
    env.update(PYTHONPATH=str(ROOT), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    done = subprocess.run([sys.executable, "-m", "gradstudio"], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)
    assert done.returncode == 1  # not 134 (Qt's abort), no core dump
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(
        "gradstudio: error: cannot open a window: no display"), done.stderr
    assert done.stdout == "" and list(tmp_path.glob("core*")) == []
