import os
from pathlib import Path

import pytest
import yaml

from helpers import TOKEN
from flux_bootstrap import yaml_source
from flux_bootstrap.errors import Problem
from flux_bootstrap.yaml_source import MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, EmptyFile, parse_mapping, read_mapping

# Every file below is read both ways: CSafeLoader (flux.yaml, secrets) and CBaseLoader (stack files).
BOTH = pytest.mark.parametrize("strings", [False, True], ids=["safe", "strings"])


def refused(text: str, strings: bool = False) -> Problem:
    """The one problem `text` gives; the token it holds is never in what the user sees."""
    doc, problems = parse_mapping(text, "secrets.yaml", strings=strings)
    assert doc is None
    (problem,) = problems
    assert TOKEN not in problem.describe()
    assert TOKEN[4:10] not in problem.describe()  # nor a piece of it
    return problem


def test_libyaml_is_what_these_tests_exercise():
    assert yaml_source._SAFE is yaml.CSafeLoader and yaml_source._STRINGS is yaml.CBaseLoader


def test_lines_of_top_level_and_nested_keys():
    doc, problems = parse_mapping("# c\nrepo: x\nconfig:\n  a:b: 1\n  c: {d: 2}\n", "f.yaml")
    assert problems == []
    assert doc.data == {"repo": "x", "config": {"a:b": 1, "c": {"d": 2}}}
    assert doc.line("repo") == 2
    assert doc.line("config", "a:b") == 4
    assert doc.line("config", "c", "d") == 5


def test_strings_keeps_every_scalar_a_string():
    doc, problems = parse_mapping("a: yes\nb: 1.10\nc: [1, true]\n", "f", strings=True)
    assert problems == []
    assert doc.data == {"a": "yes", "b": "1.10", "c": ["1", "true"]}


def test_namespaced_stack_keys_are_not_taken_for_a_missing_space():
    text = f"config:\n  flux-bootstrap:repo: https://github.com/a/b\n  flux-bootstrap:token:\n    secure: {TOKEN}\n"
    doc, problems = parse_mapping(text, "Pulumi.dev.yaml", strings=True)
    assert problems == []
    assert doc.line("config", "flux-bootstrap:token", "secure") == 4


def test_duplicate_keys_are_reported_with_both_lines():
    _, problems = parse_mapping("repo: a\nbranch: b\nrepo: c\n", "f.yaml")
    (problem,) = problems
    assert (problem.field, problem.line) == ("repo", 3)
    assert "line 1" in problem.message


@BOTH
def test_empty_file_is_recognisable(strings):
    for text in ("", "# only a comment\n", "\n\n", "---\n", "# c\n---\n# d\n"):
        problem = refused(text, strings)
        assert isinstance(problem, EmptyFile)
        assert "empty" in problem.message
    assert not isinstance(refused("- a\n", strings), EmptyFile)


def test_list_scalar_and_multi_document_files_are_refused():
    assert "mapping" in parse_mapping("- a\n- b\n", "f")[1][0].message
    assert "mapping" in parse_mapping("just text\n", "f")[1][0].message
    assert "several YAML documents" in parse_mapping("a: 1\n---\nb: 2\n", "f")[1][0].message


def test_non_text_keys_are_refused():
    (problem,) = parse_mapping("1: a\n", "f")[1]
    assert problem.line == 1 and "plain name" in problem.message


def test_missing_file_carries_the_hint(tmp_path):
    _, problems = read_mapping(tmp_path / "nope.yaml", "nope.yaml", "Create it.")
    assert (problems[0].message, problems[0].fix) == ("file not found. Create it.", "Create it.")


def test_a_file_is_read_as_utf8_with_crlf_line_ends(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_bytes(b"a: 1\r\nname: \xc3\xa9t\xc3\xa9\r\n")
    doc, problems = read_mapping(path, "f.yaml", "")
    assert problems == [] and doc.data == {"a": 1, "name": "été"} and doc.line("name") == 2


def test_a_byte_order_mark_is_no_content(tmp_path):
    path = tmp_path / "secrets-flux.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + f'token:"{TOKEN}"\n'.encode())
    (problem,) = read_mapping(path, "secrets-flux.yaml", "")[1]
    assert "missing space after ':' on line 1." in problem.message and TOKEN not in problem.describe()


def test_a_directory_and_non_utf8_are_refused(tmp_path):
    assert "directory" in read_mapping(tmp_path, "f", "")[1][0].message
    path = tmp_path / "f.yaml"
    path.write_bytes(b"token: \xff\xfe\n")
    assert read_mapping(path, "f", "")[1][0].message == "is not UTF-8 text."


# --- anchors, aliases and merge keys: refused before anything is expanded --------------------

ALIASES = {
    "alias in a list": f"base: &t {TOKEN}\nlist:\n  - a\n  - *t\n",
    "alias in a nested mapping": f"a:\n  b:\n    c: &x {{t: {TOKEN}}}\n  d:\n    e: *x\n",
    "merge key": f"base: &b {{token: {TOKEN}}}\nother:\n  <<: *b\n",
    "alias of an undefined anchor": f"a: 1\ntoken: *{TOKEN}\n",
    "anchor alone": f"a: 1\ntoken: &{TOKEN} x\n",
}


@BOTH
@pytest.mark.parametrize("text", ALIASES.values(), ids=ALIASES.keys())
def test_anchors_and_aliases_are_refused_at_the_first_one(text, strings):
    problem = refused(text, strings)
    first = next(i for i, line in enumerate(text.splitlines(), 1) if "&" in line or "*" in line)
    assert f"at line {first};" in problem.message
    assert "anchors and aliases are not supported in config files" in problem.message
    assert "Write the value out" in problem.fix


@BOTH
def test_billion_laughs_is_refused_not_expanded(strings):
    # Ten levels of nine: expanded, a billion strings. Composing it would not return in time.
    levels = [f"a0: &a0 [{TOKEN}, {TOKEN}, {TOKEN}, {TOKEN}, {TOKEN}, {TOKEN}, {TOKEN}, {TOKEN}, {TOKEN}]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    problem = refused("\n".join(levels) + "\n", strings)
    assert "at line 1;" in problem.message and "anchors and aliases" in problem.message


@BOTH
def test_a_merge_key_without_alias_is_refused(strings):
    problem = refused(f"a: 1\nlist:\n  - <<: {{token: {TOKEN}}}\n", strings)
    assert "merge key (<<) at line 3" in problem.message


def test_a_quoted_merge_like_key_is_a_plain_key():
    doc, problems = parse_mapping("'<<': x\n", "f")
    assert problems == [] and doc.data == {"<<": "x"}


# --- absurd sizes ------------------------------------------------------------------------------


def test_a_huge_text_is_refused_unparsed():
    problem = refused(f"token: {TOKEN}\n" + "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    assert "larger than 256 KiB" in problem.message


def test_size_counts_utf8_bytes_not_characters():
    text = "a: " + "é" * (MAX_FILE_BYTES // 2)  # fewer characters than the cap, more bytes
    assert len(text) < MAX_FILE_BYTES
    assert "larger than" in refused(text).message


def test_a_huge_file_is_refused(tmp_path):
    path = tmp_path / "secrets-flux.yaml"
    path.write_text(f"token: {TOKEN}\n" * (MAX_FILE_BYTES // 10))
    _, problems = read_mapping(path, "secrets-flux.yaml", "")
    (problem,) = problems
    assert "larger than 256 KiB" in problem.message and TOKEN not in problem.describe()


def test_a_lower_cap_can_be_asked_for(tmp_path):
    path = tmp_path / "flux.yaml"
    path.write_text("repo: x\n" + "# c\n" * 20)
    assert read_mapping(path, "flux.yaml", "")[1] == []
    (problem,) = read_mapping(path, "flux.yaml", "", max_bytes=64)[1]
    assert "is larger than 64 bytes, far more than a YAML config file needs" in problem.message


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_a_device_is_refused_without_reading_it():
    (problem,) = read_mapping(Path("/dev/zero"), "flux.yaml", "")[1]
    assert "not a regular file" in problem.message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_without_writer_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "flux.yaml"
    os.mkfifo(fifo)
    (problem,) = read_mapping(fifo, "flux.yaml", "")[1]
    assert "not a regular file" in problem.message


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * (MAX_DEPTH + 1) + TOKEN + "]" * (MAX_DEPTH + 1) + "\n",
        "a: " + "{b: " * (MAX_DEPTH + 1) + TOKEN + "}" * (MAX_DEPTH + 1) + "\n",
        "".join(" " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 1)) + " " * (MAX_DEPTH + 1) + TOKEN + "\n",
        "a: " + "[" * (MAX_FILE_BYTES - 10),  # unclosed too: refused for depth before any syntax error
    ],
    ids=["flow lists", "flow mappings", "block mappings", "a file of brackets"],
)
@pytest.mark.parametrize("libyaml", [True, False], ids=["libyaml", "pure-python"])
def test_absurd_nesting_is_refused(text, strings, libyaml, monkeypatch):
    # libyaml (PyYAML >= 6.0.3) stops deep flow nesting in its scanner before our event count
    # reaches the limit; either way the answer is ours: the file, the line, nothing echoed.
    if not libyaml:
        monkeypatch.setattr(yaml_source, "_SAFE", yaml.SafeLoader)
        monkeypatch.setattr(yaml_source, "_STRINGS", yaml.BaseLoader)
    message = refused(text, strings).message
    assert message.startswith(f"nests deeper than {MAX_DEPTH} levels at line ")
    line = int(message.split("at line ")[1].split(";")[0])
    assert 1 <= line <= MAX_DEPTH + 2


def test_nesting_up_to_the_limit_is_read():
    text = "a: " + "[" * (MAX_DEPTH - 1) + "x" + "]" * (MAX_DEPTH - 1) + "\n"
    doc, problems = parse_mapping(text, "f")
    assert problems == [] and doc.data["a"] is not None


@BOTH
@pytest.mark.parametrize(
    "text",
    [
        "".join(f"k{i}: {TOKEN}\n" for i in range(MAX_NODES // 2 + 1)),
        "list:\n" + f"- {TOKEN}\n" * MAX_NODES,
        "a: {" + "k, " * MAX_NODES + "}\n",
    ],
    ids=["keys", "list items", "flow mapping"],
)
def test_absurd_key_counts_are_refused(text, strings):
    assert f"more than {MAX_NODES} keys and values" in refused(text, strings).message


def test_a_long_single_value_is_left_to_field_validation():
    doc, problems = parse_mapping("token: " + "x" * (MAX_FILE_BYTES - 100) + "\n", "f")
    assert problems == [] and len(doc.data["token"]) == MAX_FILE_BYTES - 100


# --- syntax errors: the line where the problem starts, and its likely cause --------------------


@BOTH
@pytest.mark.parametrize(
    "text, line",
    [
        (f"config:\n\ttoken: {TOKEN}\n", 2),
        (f"config:\n  a: 1\n\ttoken: {TOKEN}\n", 3),
        (f"list:\n\t- {TOKEN}\n", 2),
        (f"\ttoken: {TOKEN}\n", 1),
    ],
    ids=["first nested key", "later nested key", "list item", "top level"],
)
def test_a_tab_in_the_indentation_is_named(text, line, strings):
    problem = refused(text, strings)
    assert f"at line {line}, column 1:" in problem.message
    assert "a tab is used for indentation" in problem.message


@BOTH
@pytest.mark.parametrize(
    "text, line",
    [
        (f'token:"{TOKEN}"\n', 1),
        (f"repo:https://github.com/{TOKEN}\n", 1),
        (f"repo:https://github.com/a/b\ntoken: {TOKEN}\n", 1),
        (f'repo: x\ntoken:"{TOKEN}"\n', 2),
        (f'repo: x\ntoken:"{TOKEN}"\nbranch: main\n', 2),
        (f'config:\n  a: 1\n  token:"{TOKEN}"\n', 3),
        (f'config:\n  token:"{TOKEN}"\n  a: 1\n', 2),
        (f'config:\n  token:"{TOKEN}"\n', 2),
        (f"config:\n  flux-bootstrap:repo: x\n  flux-bootstrap:token:{TOKEN}\n", 3),
    ],
    ids=[
        "top level only",
        "url",
        "first of two",
        "last line",
        "middle line",
        "nested last",
        "nested first",
        "nested only",
        "namespaced key",
    ],
)
def test_a_missing_space_after_a_colon_is_named(text, line, strings):
    problem = refused(text, strings)
    assert f"missing space after ':' on line {line}." in problem.message


@BOTH
@pytest.mark.parametrize("quote", ['"', "'"], ids=["double", "single"])
def test_an_unclosed_quote_names_the_line_where_it_opens(quote, strings):
    problem = refused(f"repo: x\ntoken: {quote}{TOKEN}\nbranch: main\nkind: a\n", strings)
    assert "at line 2, column 8:" in problem.message
    assert "never closed" in problem.message
    assert ("double quote" if quote == '"' else "single quote") in problem.message


@BOTH
@pytest.mark.parametrize("quote", ['"', "'"], ids=["double", "single"])
def test_an_unclosed_quote_closed_by_a_later_one_names_the_line_where_it_opens(quote, strings):
    # The next quote in the file closes the value, and the parser fails only after it.
    problem = refused(f"repo: x\ntoken: {quote}{TOKEN}\nbranch: {quote}main{quote}\nkind: a\n", strings)
    assert "at line 2, column 8:" in problem.message and "probably never closed" in problem.message


@BOTH
def test_text_after_a_closing_quote_is_named(strings):
    problem = refused(f'token: "{TOKEN}" {TOKEN}\n', strings)
    assert "at line 1" in problem.message and "more text follows a quoted value" in problem.message


@BOTH
def test_an_unknown_escape_in_double_quotes_is_named(strings):
    problem = refused(f'a: 1\ntoken: "{TOKEN}\\q"\n', strings)
    assert "at line 2" in problem.message and "backslash" in problem.message


@BOTH
def test_an_unclosed_bracket_names_the_line_where_it_opens(strings):
    problem = refused(f"a: 1\nlist: [{TOKEN},\n  b\nc: 2\n", strings)
    assert "at line 2, column 7:" in problem.message and "flow list '['" in problem.message


@BOTH
def test_other_errors_keep_line_column_and_the_short_problem(strings):
    problem = refused(f"token: {TOKEN}\n  b: 2\n", strings)
    assert problem.message.startswith("not valid YAML at line 2, column 4: mapping values are not allowed")
    assert "indentation" in problem.fix


@BOTH
def test_a_control_character_is_named_by_line(strings):
    problem = refused(f"é: 1\n\ntoken: {TOKEN}\x00\n", strings)
    assert "control character" in problem.message and "at line 3" in problem.message


# The pure-Python loaders, used where libyaml is missing, quote input in their error texts.
PURE_CASES = [
    f"a: !foo!bar {TOKEN}\n",
    f"token: *{TOKEN}\n",
    f'token: "{TOKEN}" {TOKEN}\n',
    f'token: "\\q{TOKEN}"\n',
    f"a: {{b: {TOKEN}\n",
    f"token: {TOKEN}\n- {TOKEN}\n",
    f"%YAML 1.{TOKEN}\n---\na: 1\n",
    f"%TAG !{TOKEN}\n---\na: 1\n",
    f"a: !<{TOKEN}\n",
]


@BOTH
@pytest.mark.parametrize("text", PURE_CASES + [f"token:\t{TOKEN}\n"])  # libyaml accepts the tab there
def test_pure_python_loaders_never_leak_the_input(text, strings, monkeypatch):
    monkeypatch.setattr(yaml_source, "_SAFE", yaml.SafeLoader)
    monkeypatch.setattr(yaml_source, "_STRINGS", yaml.BaseLoader)
    problem = refused(text, strings)
    assert problem.message.startswith(("not valid YAML", "uses a YAML anchor"))


@BOTH
@pytest.mark.parametrize("text", PURE_CASES)
def test_libyaml_never_leaks_the_input(text, strings):
    assert refused(text, strings).message.startswith(("not valid YAML", "uses a YAML anchor"))


def test_a_tag_on_a_value_is_refused_without_its_value():
    problem = refused(f"token: !!int {TOKEN}\n")
    assert "YAML tags" in problem.message


@BOTH
@pytest.mark.parametrize("text", ["branch: !!binary Zm9v\n", f"branch: !<{TOKEN}> dev\n", "a: !!map {b: c}\n", "a: !custom x\n"])
def test_yaml_tags_are_refused_in_every_config_file_without_the_tag(text, strings):
    # Stack files are read as strings (as the Pulumi CLI reads them), which used to let a tag pass
    # silently; the Pulumi CLI would read `!!binary` as bytes.
    problem = refused(text, strings)
    assert problem.message.startswith("uses a YAML tag (such as !!int or !<...>) at line 1")
