"""Load a site file: YAML into a `Site`, every problem located by file, line:column and path."""

import difflib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from contracts import ID_PATTERN, SensorClass
from firmware_config.esphome_topics import OBJECT_ID_PATTERN, object_id_problem
from firmware_config.references import Loc, reference_problems
from firmware_config.site import LOCAL_TIME_PATTERN, WORKING_HOURS_PATTERN, Site

# libyaml parses the ~2,000-line demo site several times faster than the pure-Python parser.
_Loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader
)

MAX_PROBLEMS = 20
_NULL_TAG = "tag:yaml.org,2002:null"
_STR_TAG = "tag:yaml.org,2002:str"
_BSSID_PATTERN = r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$"
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True, slots=True)
class SiteProblem:
    """One problem in a site file; line and column are 1-based, None when the file is unreadable."""

    file: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SiteError(ValueError):
    """A site file that cannot be used; `problems` holds the first problems found, in file order."""

    def __init__(self, problems: Sequence[SiteProblem], omitted: int = 0) -> None:
        self.problems = list(problems)
        self.omitted = omitted
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [str(problem) for problem in self.problems]
        if self.omitted:
            lines.append(f"… and {self.omitted} more problem(s) not shown; fix these first")
        return "\n".join(lines)


def load_site(path: Path) -> Site:
    """Read and validate the site file at `path`; raise SiteError naming every problem found."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise SiteError(
            [SiteProblem(str(path), None, None, "", f"cannot read the site file: {reason}")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")  # Windows editors may prepend a BOM
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SiteError(
            [SiteProblem(str(path), line, column, "", "expected UTF-8 text, found an invalid byte")]
        ) from None
    return parse_site(text, str(path))


def parse_site(text: str, filename: str) -> Site:
    """Validate the YAML site document `text`; `filename` is only used to name it in problems."""
    root, data, problems = _read_yaml(text, filename)

    try:
        site = Site.model_validate(data)
    except ValidationError as exc:
        problems += [
            _schema_problem(root, filename, error) for error in exc.errors(include_url=False)
        ]
        _raise(problems)
    if problems:
        _raise(problems)
    for found in reference_problems(site):
        message = found.message
        if found.other is not None:
            mark = _locate(root, found.other).node.start_mark
            where = f"line {mark.line + 1}:{mark.column + 1} ({_render_path(found.other)})"
            message += f" at {where}"
        problems.append(_problem_at(root, filename, found.loc, message))
    if problems:
        _raise(problems)
    return site


def _read_yaml(text: str, filename: str) -> tuple[Node, Any, list[SiteProblem]]:
    """The node tree (for locations), the plain data, and any duplicate keys."""
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                message = (
                    "the file is empty: expected a mapping with at least 'site' and 'buildings'"
                )
                raise SiteError([SiteProblem(filename, 1, 1, "", message)])
            # Before construction: it flattens merge keys, whose overrides are not duplicates.
            problems = _duplicate_key_problems(root, filename)
            return root, loader.construct_document(root), problems
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise SiteError([_syntax_problem(exc, filename)]) from None
    except yaml.reader.ReaderError as exc:
        # Raised for characters YAML forbids (control codes); it has an offset, not a mark.
        # libyaml counts the offset in UTF-8 bytes, the pure-Python reader in characters.
        offset = exc.position
        if _Loader is not yaml.SafeLoader:
            offset = len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        message = f"invalid YAML: character {chr(exc.character)!r} is not allowed in YAML text"
        raise SiteError([SiteProblem(filename, line, column, "", message)]) from None


def _raise(problems: list[SiteProblem]) -> NoReturn:
    unique = list(dict.fromkeys(problems))
    unique.sort(key=lambda p: (p.line or 0, p.column or 0))
    raise SiteError(unique[:MAX_PROBLEMS], omitted=max(0, len(unique) - MAX_PROBLEMS))


def _syntax_problem(exc: yaml.MarkedYAMLError, filename: str) -> SiteProblem:
    mark = exc.problem_mark or exc.context_mark
    message = f"invalid YAML: {exc.problem or exc.context or 'cannot parse'}"
    if exc.context and exc.problem:
        message += f" ({exc.context}"
        if exc.context_mark is not None and exc.context_mark is not mark:
            message += f" at line {exc.context_mark.line + 1}:{exc.context_mark.column + 1}"
        message += ")"
    if mark is None:
        return SiteProblem(filename, 1, 1, "", message)
    return SiteProblem(filename, mark.line + 1, mark.column + 1, "", message)


def _duplicate_key_problems(root: Node, filename: str) -> list[SiteProblem]:
    """PyYAML keeps the last of two equal keys silently; a site file must not lose data so."""
    problems = []
    seen_nodes: set[int] = set()
    stack: list[tuple[Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, MappingNode):
            first: dict[str, ScalarNode] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    continue
                key = key_node.value
                if key in first and key != "<<":
                    mark = first[key].start_mark
                    problems.append(
                        SiteProblem(
                            filename,
                            key_node.start_mark.line + 1,
                            key_node.start_mark.column + 1,
                            _render_path((*loc, key)),
                            f"duplicate key {key!r}: already given at line "
                            f"{mark.line + 1}:{mark.column + 1}",
                        )
                    )
                else:
                    first[key] = key_node
                stack.append((value_node, (*loc, key)))
        elif isinstance(node, SequenceNode):
            stack.extend((item, (*loc, index)) for index, item in enumerate(node.value))
    return problems


@dataclass(frozen=True, slots=True)
class _Found:
    node: Node
    key: ScalarNode | None
    depth: int


def _locate(root: Node, loc: Loc) -> _Found:
    """The deepest node along `loc`, the key node that led to it, and how much of `loc` matched."""
    node, key, depth = root, None, 0
    for element in loc:
        if element == "[key]" and key is not None:
            return _Found(key, key, depth + 1)
        if isinstance(node, MappingNode):
            # The last equal key wins, as it does when PyYAML constructs the mapping.
            match = None
            for key_node, value_node in node.value:
                if isinstance(key_node, ScalarNode) and key_node.value == str(element):
                    match = (key_node, value_node)
            if match is None:
                break
            key, node = match
        elif (
            isinstance(node, SequenceNode)
            and isinstance(element, int)
            and 0 <= element < len(node.value)
        ):
            key, node = None, node.value[element]
        else:
            break
        depth += 1
    return _Found(node, key, depth)


def _render_path(loc: Loc) -> str:
    """`("buildings", 0, "floors", 2, "x")` → `buildings[0].floors[2].x`."""
    out = ""
    for element in loc:
        if element == "[key]":
            continue
        if isinstance(element, int):
            out += f"[{element}]"
        elif _PLAIN_KEY.match(element):
            out += f".{element}" if out else element
        else:
            out += f"[{json.dumps(element, ensure_ascii=False)}]"
    return out


def _problem_at(root: Node, filename: str, loc: Loc, message: str) -> SiteProblem:
    found = _locate(root, loc)
    mark = found.node.start_mark
    return SiteProblem(filename, mark.line + 1, mark.column + 1, _render_path(loc), message)


def _got(found: _Found, loc: Loc, value: Any) -> str:
    """What the file holds at `loc`, quoted the way the person wrote it."""
    if found.depth < len(loc):
        return _short(repr(value))
    node = found.node
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    assert isinstance(node, ScalarNode)
    if node.tag == _NULL_TAG:
        return "nothing (null)"
    if node.tag == _STR_TAG:
        return _short(repr(node.value))
    return _short(str(node.value))


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _unwrap(annotation: Any) -> Any:
    """The model or container type behind Annotated[...] and `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is not None and getattr(annotation, "__metadata__", None) is not None:
            annotation = get_args(annotation)[0]
        elif origin is Union or type(annotation).__name__ == "UnionType":
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc` inside a Site, if there is one."""
    annotation: Any = Site
    for element in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if not isinstance(element, str) or element not in annotation.model_fields:
                return None
            annotation = annotation.model_fields[element].annotation
        elif get_origin(annotation) is list:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _schema_problem(root: Node, filename: str, error: ErrorDetails) -> SiteProblem:
    loc: Loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    found = _locate(root, loc)
    path = _render_path(loc)

    if kind == "extra_forbidden":
        name = str(loc[-1])
        model = _model_at(loc[:-1])
        allowed = list(model.model_fields) if model else []
        message = f"unknown field {name!r}"
        if allowed:
            close = difflib.get_close_matches(name, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            message += f" (allowed: {', '.join(allowed)}){hint}"
        node = found.key if found.key is not None and found.depth == len(loc) else found.node
        mark = node.start_mark
        return SiteProblem(filename, mark.line + 1, mark.column + 1, path, message)

    got = _got(found, loc, error.get("input"))
    if kind == "missing":
        message = "required field missing"
    elif kind in ("float_parsing", "float_type", "finite_number"):
        message = f"expected a number, got {got}"
    elif kind in ("int_parsing", "int_type", "int_from_float"):
        message = f"expected a whole number, got {got}"
    elif kind in ("bool_parsing", "bool_type"):
        message = f"expected true or false, got {got}"
    elif kind == "string_type":
        message = f"expected text, got {got}"
        if isinstance(found.node, ScalarNode) and found.depth == len(loc) and not found.node.style:
            message += f' (YAML reads it as a non-text value; quote it: "{found.node.value}")'
    elif kind == "string_pattern_mismatch" and ctx.get("pattern") == OBJECT_ID_PATTERN:
        message = f"{object_id_problem(str(error.get('input')))}, got {got}"
    elif kind == "string_pattern_mismatch":
        message = f"expected {_pattern_meaning(str(ctx.get('pattern', '')))}, got {got}"
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        operator = {
            "greater_than": ">",
            "greater_than_equal": "≥",
            "less_than": "<",
            "less_than_equal": "≤",
        }[kind]
        limit = next(iter(ctx.values()), "?")
        message = f"expected a number {operator} {limit}, got {got}"
    elif kind in ("literal_error", "enum"):
        message = f"expected {ctx.get('expected', 'one of the allowed values')}, got {got}"
        if kind == "enum" and not ctx.get("expected"):
            message = f"expected one of {', '.join(repr(s.value) for s in SensorClass)}, got {got}"
    elif kind == "list_type":
        message = f"expected a list, got {got}"
    elif kind in ("model_type", "model_attributes_type", "dict_type"):
        message = f"expected a mapping of fields, got {got}"
    else:
        text = error["msg"]
        message = f"{text[:1].lower()}{text[1:]}, got {got}"
    mark = found.node.start_mark
    return SiteProblem(filename, mark.line + 1, mark.column + 1, path, message)


def _pattern_meaning(pattern: str) -> str:
    if pattern == ID_PATTERN:
        return "an id of 1-24 characters a-z, 0-9 and '-', not starting or ending with '-'"
    if pattern == _BSSID_PATTERN:
        return "a BSSID like 'aa:bb:cc:dd:ee:ff' (six lowercase hex pairs)"
    if pattern == LOCAL_TIME_PATTERN:
        return 'a local time as "HH:MM" (00:00 to 23:59), quoted'
    if pattern == WORKING_HOURS_PATTERN:
        return 'local hours as "HH:MM-HH:MM", e.g. "08:30-17:15", quoted'
    return f"text matching {pattern}"
