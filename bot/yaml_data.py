"""Reading the project's YAML data files, refusing YAML 1.1 surprises in lists of words.

In YAML 1.1 (PyYAML), an unquoted `yes`, `no`, `on`, `off`, `true`, `false` is a boolean, `~`
or `null` or nothing is None, and `2` is a number: in a list of words, `- yes` silently became
`True` and "yes" was no longer understood (ENGINEERING.md, trap 15). `load_yaml` reads a file
and refuses, naming the file, the path of the value and its line, any such scalar inside a
list whose other items are strings, and any unquoted boolean word in a list or as a key. Lists meant for
numbers (`skip_when: {usage: [3]}`) and values meant as booleans or numbers
(`closed_on_public_holidays: true`, `seats: 1`) are not lists of strings and keep working.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

STR_TAG = "tag:yaml.org,2002:str"
_TYPES = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:null": "nothing",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:timestamp": "a date",
}
# The plain words YAML 1.1 reads as booleans: never meant as a boolean inside a list.
_BOOLEAN_WORD = re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
                           r"|on|On|ON|off|Off|OFF)$")


class YamlDataError(yaml.YAMLError):
    """A value of a data file that is not what its list holds (`path` of the file, `where`
    the value is, `problem`, and `problem_mark` with its line and column)."""

    def __init__(self, path: str | Path, where: str, detail: str,
                 mark: yaml.Mark | None = None) -> None:
        self.path, self.where, self.detail, self.problem_mark = str(path), where, detail, mark
        self.problem = f"{where}: {detail}"  # what callers that report YAML errors show
        super().__init__(str(self))

    def __str__(self) -> str:
        mark = self.problem_mark
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        return f"{self.path}: {self.where}{at}: {self.detail}"


def _where(path: list[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _fault(node: yaml.ScalarNode, path: list[Any], source: str | Path,
           in_list: str) -> YamlDataError:
    kind = _TYPES.get(node.tag, node.tag)
    try:
        value = repr(yaml.safe_load(node.value))
    except yaml.YAMLError:
        value = node.value
    if not node.value:
        return YamlDataError(source, _where(path), f"an empty item is read as None in {in_list}; "
                             "remove it", node.start_mark)
    return YamlDataError(source, _where(path),
                         f"`{node.value}` is read as {value} ({kind}) in {in_list}; "
                         f"quote it: \"{node.value}\"", node.start_mark)


def check_node(node: yaml.Node, source: str | Path, path: list[Any] | None = None) -> None:
    """Raise `YamlDataError` for the first non-string scalar inside a list of strings, for
    any unquoted boolean word (`yes`, `no`, `on`, `off`...) inside a list or as a key, and for
    a null key among string keys."""
    path = path or []
    if isinstance(node, yaml.SequenceNode):
        scalars = [item for item in node.value if isinstance(item, yaml.ScalarNode)]
        has_strings = any(item.tag == STR_TAG for item in scalars)
        for index, item in enumerate(node.value):
            if isinstance(item, yaml.ScalarNode) and item.tag != STR_TAG:
                if has_strings:
                    raise _fault(item, path + [index], source, "a list of words")
                if item.style is None and _BOOLEAN_WORD.match(item.value):
                    raise _fault(item, path + [index], source, "a list")
            check_node(item, source, path + [index])
    elif isinstance(node, yaml.MappingNode):
        keys = [key for key, _ in node.value if isinstance(key, yaml.ScalarNode)]
        string_keys = any(key.tag == STR_TAG for key in keys)
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else "?"
            if isinstance(key, yaml.ScalarNode) and (
                    (key.tag == "tag:yaml.org,2002:bool" and key.style is None)
                    or (string_keys and key.tag == "tag:yaml.org,2002:null")):
                raise _fault(key, path + [name], source, "the keys of a mapping")
            check_node(value, source, path + [name])


def parse_yaml(text: str, source: str | Path = "<text>") -> Any:
    """The content of YAML `text` (safe loader), checked by `check_node`."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_node(node, source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(path: str | Path) -> Any:
    """Read a data file (UTF-8) and return its content, refusing a non-string in a list of
    words (`YamlDataError`, a `yaml.YAMLError`). OSError and UnicodeDecodeError pass through."""
    path = Path(path)
    return parse_yaml(path.read_text(encoding="utf-8"), path)


def number_setting(raw: dict, name: str, default, minimum: int, path, error: type[Exception]):
    """The number `raw[name]` (or `default`), at least `minimum`; otherwise `error` naming the
    file and the setting. A boolean is not a number here."""
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise error(f"{path}: {name} must be a number >= {minimum}, not {value!r}")
    return value


def read_settings(path, error: type[Exception]) -> dict:
    """A settings file read with `load_yaml` (an empty file is no setting); a file that cannot
    be read or parsed is `error`, naming it."""
    try:
        return load_yaml(path) or {}
    except (OSError, yaml.YAMLError) as problem:
        raise error(f"{path}: cannot be read: {problem}") from None
