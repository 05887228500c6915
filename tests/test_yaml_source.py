from flux_bootstrap.yaml_source import parse_mapping, read_mapping


def test_lines_of_top_level_and_nested_keys():
    doc, problems = parse_mapping("# c\nrepo: x\nconfig:\n  a:b: 1\n  c: {d: 2}\n", "f.yaml")
    assert problems == []
    assert doc.data == {"repo": "x", "config": {"a:b": 1, "c": {"d": 2}}}
    assert doc.line("repo") == 2
    assert doc.line("config", "a:b") == 4
    assert doc.line("config", "c", "d") == 5


def test_duplicate_keys_are_reported_with_both_lines():
    _, problems = parse_mapping("repo: a\nbranch: b\nrepo: c\n", "f.yaml")
    (problem,) = problems
    assert (problem.field, problem.line) == ("repo", 3)
    assert "line 1" in problem.message


def test_bad_yaml_gives_position_and_never_the_line_itself():
    _, problems = parse_mapping('token: "tok-SECRET\nother: 1\n', "secrets.yaml")
    (problem,) = problems
    assert "not valid YAML at line" in problem.message
    assert "tok-SECRET" not in problem.describe()


def test_empty_list_scalar_and_multi_document_files_are_refused():
    assert "empty" in parse_mapping("# only a comment\n", "f")[1][0].message
    assert "mapping" in parse_mapping("- a\n- b\n", "f")[1][0].message
    assert "mapping" in parse_mapping("just text\n", "f")[1][0].message
    assert "several YAML documents" in parse_mapping("a: 1\n---\nb: 2\n", "f")[1][0].message


def test_non_text_keys_are_refused():
    (problem,) = parse_mapping("1: a\n", "f")[1]
    assert problem.line == 1 and "plain name" in problem.message


def test_missing_file_carries_the_hint(tmp_path):
    _, problems = read_mapping(tmp_path / "nope.yaml", "nope.yaml", "Create it.")
    assert problems[0].message == "file not found. Create it."
