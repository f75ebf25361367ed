"""``.gsgraph`` files: JSON with a format name and version, checked before anything loads.

Loading reads plain data only (no code runs), checks the shape of the JSON against the
schema in resources/schema, then the meaning (kinds, ports, cycles) by building a scratch
model. Nodes without a position (positions are optional) are laid out in layers. Any
problem raises GraphFileError saying where and what; the open document is never touched.
A file of an older format version is checked against its own version's schema, then
migrated step by step (``MIGRATIONS``) to the current one; files are written in the current
version, and a newer version is refused with a message saying so.
Saving writes a temporary file beside the target (a symbolic link's target: the link stays),
syncs it, renames it over, then syncs the folder.
"""

from __future__ import annotations

import errno
import json
import os
import reprlib
import stat
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fastjsonschema

from gradstudio import __version__
from gradstudio.resources import resource_path

from . import limits
from .catalog import GraphError
from .layout import place_missing
from .limits import count, mebibytes, short_number
from .model import GraphModel
from .precheck import census, check_bytes

if TYPE_CHECKING:
    import jsonschema

__all__ = ["GraphFileError", "FORMAT", "VERSION", "EXTENSION", "load", "save", "loads", "dumps",
           "document", "migrate", "MIGRATIONS", "write_atomic", "read_bytes"]

FORMAT = "gradstudio-graph"
VERSION = 2
EXTENSION = ".gsgraph"


class GraphFileError(GraphError):
    """A file that cannot be read, parsed, understood or written."""


def _schema(version: int) -> dict[str, Any]:
    """The JSON Schema of one format version (one file per version in resources/schema)."""
    return json.loads(resource_path("schema", f"gsgraph-{version}.schema.json").read_text())


@cache
def _validator(version: int = VERSION) -> jsonschema.protocols.Validator:
    """jsonschema's validator: only to explain a file fastjsonschema refused, so it is
    imported then, not when the app starts."""
    import jsonschema

    schema = _schema(version)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def document(model: GraphModel) -> dict[str, Any]:
    """The file's content for a model."""
    doc = {"format": FORMAT, "version": VERSION, "app": f"GradStudio {__version__}"}
    doc.update(model.to_dict())
    return doc


def dumps(model: GraphModel) -> str:
    return json.dumps(document(model), indent=1) + "\n"


@cache
def _fast_validator(version: int = VERSION) -> Callable[[Any], Any]:
    """The same schema compiled to Python by fastjsonschema: about 25x quicker on a valid
    file. jsonschema then explains a failure, since its messages say best where and what."""
    return fastjsonschema.compile(_schema(version))


def _fast_check(data: Any, version: int = VERSION) -> bool:
    try:
        _fast_validator(version)(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _first_error(data: Any, version: int) -> jsonschema.ValidationError | None:
    """The error jsonschema finds most relevant in ``data``."""
    from jsonschema.exceptions import best_match

    return best_match(_validator(version).iter_errors(data))


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the top level"


_SHORT = reprlib.Repr()  # keyword arguments need Python 3.12
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring = 3, 6, 6, 60
_TOO_DEEP = "nested too deeply to be a graph file"


def _schema_message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, with the offending value shortened (it may be huge)."""
    try:
        message = error.message.replace(repr(error.instance), _SHORT.repr(error.instance), 1)
    except RecursionError:
        return _TOO_DEEP
    size = _SIZE_LIMITS.get(error.validator)
    if size is not None and isinstance(error.instance, (str, list)):  # state the limit
        what, bound = size
        message += (f" ({count(len(error.instance), what)}; {bound} "
                    f"{count(error.validator_value, what)})")
    return message


# A schema's size limits: what each counts, and how the message says the bound.
_SIZE_LIMITS = {"maxLength": ("characters", "the limit is"), "maxItems": ("items", "the limit is"),
                "minLength": ("characters", "at least"), "minItems": ("items", "at least")}


def _too_large(source: str, size: str) -> GraphFileError:
    return GraphFileError(f"{source}: too large ({size}; the limit is "
                          f"{mebibytes(limits.MAX_BYTES)})")


def loads(text: str | bytes, source: str = "file") -> GraphModel:
    """A new model from a file's text; GraphFileError if anything is wrong with it. Whatever
    goes wrong on the way (a parser's ValueError, a stack or memory exhausted) becomes that
    one error, saying what."""
    try:
        return _loads(text, source)
    except GraphError:
        raise
    except RecursionError:
        raise GraphFileError(f"{source}: {_TOO_DEEP}") from None
    except MemoryError:
        raise GraphFileError(f"{source}: not enough memory to read it") from None
    except ValueError as e:  # e.g. a whole number past Python's int-to-text limit
        raise GraphFileError(f"{source}: cannot be read: {_first_sentence(e)}") from None


def _first_sentence(error: Exception) -> str:
    text = str(error).split(";")[0]
    return text if len(text) <= 200 else text[:197] + "..."


def _loads(text: str | bytes, source: str) -> GraphModel:
    if len(text) > limits.MAX_BYTES:
        raise _too_large(source, mebibytes(len(text)))
    if len(text) > 2 * limits.MAX_VALUE_ELEMENTS:  # shorter, no list can pass the limit
        try:
            check_bytes(text if isinstance(text, bytes) else
                        text.encode("utf-8", "surrogatepass"), source)
        except GraphError as e:
            raise GraphFileError(str(e)) from None
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")  # a byte order mark is harmless
        except UnicodeDecodeError as e:
            raise GraphFileError(f"{source}: not a text file (byte {e.start} is not UTF-8)") \
                from None
    try:
        _census(text, source)  # the limits, before anything big is made
        data = json.loads(text)
    except json.JSONDecodeError as e:
        ended = e.pos >= len(text.rstrip()) or e.msg.startswith("Unterminated string")
        hint = " (the file may be truncated)" if ended else ""
        raise GraphFileError(f"{source}: not valid JSON at line {e.lineno}, column {e.colno}: "
                             f"{e.msg}{hint}") from None
    except RecursionError:
        raise GraphFileError(f"{source}: {_TOO_DEEP}") from None
    except ValueError as e:
        if "digits" in str(e):
            raise GraphFileError(f"{source}: holds a whole number too long to read (more "
                                 f"than {count(sys.get_int_max_str_digits())} digits)") from None
        raise
    version = _check_header(data, source)
    try:  # nesting just under the JSON parser's limit can still exhaust the stack here
        error = None if _fast_check(data, version) else _first_error(data, version)
        message = None if error is None else _schema_message(error)
    except RecursionError:
        raise GraphFileError(f"{source}: {_TOO_DEEP}") from None
    if error is not None:
        raise GraphFileError(f"{source}: {_where(error.absolute_path)}: {message}")
    data = migrate(data)
    try:
        return GraphModel.from_dict(place_missing(data))
    except GraphError as e:
        raise GraphFileError(f"{source}: {e}") from None


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 added the optional exercise, notes and frames sections: a version 1 file
    has none of them, and nothing else changed."""
    return {**data, "version": 2}


# version N -> a function turning a checked version-N document into version N + 1
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """A document of any version this GradStudio reads, brought to the current version."""
    while data["version"] < VERSION:
        data = MIGRATIONS[data["version"]](data)
    return data


def _census(text: str, source: str) -> None:
    try:
        census(text, source)
    except GraphFileError:
        raise
    except GraphError as e:
        raise GraphFileError(str(e)) from None


def _check_header(data: Any, source: str) -> int:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise GraphFileError(f"{source}: not a GradStudio graph (no \"format\": \"{FORMAT}\")")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise GraphFileError(f"{source}: \"version\" must be a whole number (1 or more), got "
                             f"{short_number(version)}")
    if version > VERSION:
        raise GraphFileError(f"{source}: written by a newer GradStudio (format version "
                             f"{short_number(version)}); this version reads versions 1 to "
                             f"{VERSION}. Update GradStudio to open it.")
    return version


def load(path: str | os.PathLike) -> GraphModel:
    """Read and check a ``.gsgraph`` file."""
    return loads(read_bytes(path), Path(path).name)


_NOT_A_FILE = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a pipe (FIFO)",
               stat.S_IFCHR: "a device", stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}


def read_bytes(path: str | os.PathLike) -> bytes:
    """A file's bytes, read so that nothing can block or flood: opened non-blocking (a FIFO
    does not wait for a writer), only a regular file once open (fstat, so a symlink to
    /dev/zero is seen for what it is), and never more than the size limit whatever size the
    file reports (a /proc file says 0). GraphFileError saying why otherwise."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise GraphFileError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = _NOT_A_FILE.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise GraphFileError(f"cannot read {path}: it is {what}, not a graph file")
        if info.st_size > limits.MAX_BYTES:
            raise _too_large(path.name, mebibytes(info.st_size))
        chunks, total = [], 0
        while total <= limits.MAX_BYTES:
            want = max(info.st_size + 1 - total, 1 << 16)
            chunk = os.read(fd, min(want, limits.MAX_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limits.MAX_BYTES:
            raise _too_large(path.name, f"more than {mebibytes(limits.MAX_BYTES)}")
        return b"".join(chunks)
    except OSError as e:
        raise GraphFileError(f"cannot read {path}: {e.strerror or e}") from None
    finally:
        os.close(fd)


def save(model: GraphModel, path: str | os.PathLike) -> None:
    """Write atomically: the old file stays whole if anything fails on the way."""
    write_atomic(path, dumps(model))


def write_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to a temporary file beside the real file, sync it, rename it over, sync
    the folder: a reader sees the old content or the new one, never a part, and after the
    call the new content survives a power cut (also used for autosave's notes and for
    exported scripts and notebooks). A symbolic link is followed: its target is written and
    the link stays a link. A file without write permission is refused, not replaced."""
    path = Path(path)
    target = _real_target(path)
    tmp = None
    try:
        if target.exists() and not os.access(target, os.W_OK):
            raise GraphFileError(f"cannot save {path}: the file is read-only")
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o644)
        os.replace(tmp, target)
        tmp = None
        _sync_folder(target.parent)
    except OSError as e:
        raise GraphFileError(f"cannot save {path}: {_why(e, target)}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _real_target(path: Path) -> Path:
    """The file a save through ``path`` must replace: ``path`` with every symbolic link
    followed (a dangling link: the file it names, which the save creates)."""
    try:
        return Path(os.path.realpath(path, strict=True))
    except FileNotFoundError:
        return Path(os.path.realpath(path))
    except OSError as e:  # ELOOP: links that point at each other
        raise GraphFileError(f"cannot save {path}: {e.strerror or e}") from None


def _why(error: OSError, target: Path) -> str:
    """The system's reason, and which folder it is about when the folder is the problem."""
    reason = error.strerror or str(error)
    if not target.parent.is_dir():
        return f"{reason} (the folder {target.parent} does not exist)"
    if isinstance(error, PermissionError) and not os.access(target.parent, os.W_OK):
        return f"{reason} (the folder {target.parent} is not writable)"
    return reason


def _sync_folder(folder: Path) -> None:
    """fsync a folder, so a rename into it is on disk. Where a folder cannot be opened or
    synced (Windows; some network file systems say EINVAL) the rename stands as it is."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)
