"""Can a window open here? Asked before the QApplication is made, because when Qt cannot load
its platform plugin (no display, or the xcb plugin's libraries missing, as libxcb-cursor0 is
on a fresh Ubuntu) it prints a paragraph about plugins and aborts with a core dump.

``problem()`` answers in one line what to install or set, or None. It loads no Qt: it reads
the environment, opens the X libraries with ctypes and asks the X server for a connection,
the same steps Qt's xcb plugin would take first. Only Linux (and BSD) desktops are checked;
elsewhere, and for platforms such as ``offscreen`` or ``vnc``, Qt speaks for itself.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

__all__ = ["XCB_LIBRARIES", "package_of", "problem", "missing_libraries", "release",
           "x_server_answers"]

# What Qt's xcb platform plugin (libqxcb.so and libQt6XcbQpa) links against beyond what a
# PySide6 wheel brings, from `ldd`; a fresh desktop may lack any of the xcb-util family.
XCB_LIBRARIES = (
    "libxcb.so.1", "libX11-xcb.so.1", "libxcb-cursor.so.0", "libxcb-icccm.so.4",
    "libxcb-image.so.0", "libxcb-keysyms.so.1", "libxcb-randr.so.0",
    "libxcb-render-util.so.0", "libxcb-shape.so.0", "libxcb-shm.so.0", "libxcb-sync.so.1",
    "libxcb-xfixes.so.0", "libxcb-xkb.so.1", "libxkbcommon.so.0", "libxkbcommon-x11.so.0",
)
_CHECKED_PLATFORMS = ("xcb", "wayland", "wayland-egl")  # others (offscreen, vnc...): Qt's say


def package_of(soname: str) -> str:
    """The Debian/Ubuntu package of a library, by Debian's naming rule: libxcb-cursor.so.0 is
    in libxcb-cursor0, libxkbcommon-x11.so.0 in libxkbcommon-x11-0 (a name ending in a digit
    takes a hyphen before the version)."""
    name, _, version = soname.partition(".so.")
    name = name.lower()
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def missing_libraries(loads: Callable[[str], bool] = _loads) -> list[str]:
    """The xcb plugin's libraries that the dynamic loader cannot find."""
    return [soname for soname in XCB_LIBRARIES if not loads(soname)]


def x_server_answers(display: str) -> bool:
    """Whether the X server at ``display`` accepts a connection (it runs and lets us in),
    asked through libxcb as Qt asks it."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return False
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    if connection is not None and xcb.xcb_connection_has_error(connection) == 0:
        release()
        _held.append((xcb, connection))  # until Qt has its own: see release()
        return True
    if connection is not None:
        xcb.xcb_disconnect(connection)
    return False


_held: list = []


def release() -> None:
    """Close the connection ``x_server_answers`` kept open. An X server with no client left
    resets itself (Xvfb, xvfb-run do) and refuses connections meanwhile, so closing ours just
    before Qt connects could make Qt's attempt fail: the launch releases it once the
    QApplication exists."""
    while _held:
        xcb, connection = _held.pop()
        xcb.xcb_disconnect(connection)


def _wayland_socket(env: Mapping[str, str]) -> bool:
    name = env.get("WAYLAND_DISPLAY", "")
    if not name:
        return False
    path = name if os.path.isabs(name) else os.path.join(env.get("XDG_RUNTIME_DIR", ""), name)
    return os.path.exists(path)


def _platforms(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order: QT_QPA_PLATFORM's list, else Qt 6's
    default (Wayland first in a Wayland session, then X11)."""
    wanted = [p.split(":")[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";")]
    wanted = [p for p in wanted if p]
    if wanted:
        return wanted
    return ["wayland", "xcb"] if env.get("XDG_SESSION_TYPE") == "wayland" else ["xcb"]


def problem(env: Mapping[str, str] | None = None, platform: str | None = None,
            loads: Callable[[str], bool] = _loads,
            answers: Callable[[str], bool] = x_server_answers) -> str | None:
    """Why no window can open, in one line saying what to install or set; None when one can
    (or when Qt itself is better placed to say: another system, another platform)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if not (platform.startswith("linux") or "bsd" in platform):
        return None
    platforms = _platforms(env)
    if any(p not in _CHECKED_PLATFORMS for p in platforms):
        return None
    if any(p.startswith("wayland") for p in platforms) and _wayland_socket(env):
        return None
    display = env.get("DISPLAY", "")
    if "xcb" not in platforms or not display:
        if env.get("WAYLAND_DISPLAY") and "xcb" not in platforms:
            return (f"cannot open a window: no Wayland compositor at WAYLAND_DISPLAY="
                    f"{env['WAYLAND_DISPLAY']} (start the app in a desktop session)")
        return ("cannot open a window: no display (set DISPLAY or WAYLAND_DISPLAY: start it "
                "from a desktop session); 'gradstudio run FILE' and 'gradstudio --screenshot "
                "OUT.png' need no display")
    missing = missing_libraries(loads)
    if missing:
        packages = " ".join(dict.fromkeys(package_of(s) for s in missing))
        verb = "is" if len(missing) == 1 else "are"
        return (f"cannot open a window: Qt's X11 platform needs {', '.join(missing)}, which "
                f"{verb} not installed: sudo apt-get install {packages} (Debian/Ubuntu; "
                f"on Fedora or Arch the xcb-util packages, such as xcb-util-cursor)")
    if not answers(display):
        return (f"cannot open a window: the X server at DISPLAY={display} does not answer "
                f"(is it running, and may this user connect to it? see 'xhost')")
    return None
