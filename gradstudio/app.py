"""The ``gradstudio`` command: the desktop app by default, or headless commands.

    gradstudio [FILE]                      open the app (with FILE, or the small-network example)
    gradstudio run FILE [--backward] ...   evaluate a graph file headless (see --help)
    gradstudio import SCRIPT.py -o OUT     PyTorch code to a graph file (read, never run)
    gradstudio export FILE --to py|ipynb -o OUT   the graph as a PyTorch script or notebook
    gradstudio --screenshot OUT.png [FILE] render the window offscreen to a PNG
    gradstudio --smoke-test                start offscreen, run the small network, check numbers
    gradstudio --version
"""

from __future__ import annotations

import argparse
import sys

from gradstudio import __version__

__all__ = ["main"]


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradstudio", description="See and understand autograd: build a graph, run "
        "forward and backward, watch the gradients. 'gradstudio run FILE --help' for the "
        "headless evaluator.")
    parser.add_argument("file", nargs="?", help="a .gsgraph file to open")
    parser.add_argument("--version", action="version", version=f"GradStudio {__version__}")
    parser.add_argument("--screenshot", metavar="OUT.png",
                        help="render the main window offscreen to a PNG and exit")
    parser.add_argument("--smoke-test", action="store_true",
                        help="start offscreen, build and run the small network, exit 0 if the "
                        "numbers are right")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("run", "import", "export"):
        from gradstudio.cli_errors import survive_any_text

        survive_any_text()  # every headless mode prints labels from files
    if argv and argv[0] == "run":
        from gradstudio import run_command

        parser = argparse.ArgumentParser(prog="gradstudio run",
                                         description="Evaluate a graph file headless.",
                                         epilog=run_command.EXIT_CODES)
        run_command.add_arguments(parser)
        return run_command.run(parser.parse_args(argv[1:]))
    if argv and argv[0] == "import":
        from gradstudio import import_command

        parser = argparse.ArgumentParser(prog="gradstudio import", description="Read PyTorch "
                                         "code (never run it) into a graph file.")
        import_command.add_arguments(parser)
        return import_command.run(parser.parse_args(argv[1:]))
    if argv and argv[0] == "export":
        from gradstudio import export_command

        return export_command.main(argv[1:])
    args = _gui_parser().parse_args(argv)
    from gradstudio.ui import launch  # Qt is loaded only for the window

    try:
        if args.smoke_test:
            return launch.smoke_test()
        if args.screenshot:
            return launch.screenshot(args.screenshot, args.file)
        return launch.run_gui(args.file)
    except launch.CannotOpenWindow as e:  # no display, or Qt's X11 libraries missing
        from gradstudio.cli_errors import fail

        return fail(str(e))
    finally:
        launch.shutdown()


if __name__ == "__main__":
    sys.exit(main())
