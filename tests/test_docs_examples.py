"""The output examples in docs/ are what the commands print today."""

import shutil
from pathlib import Path

from helpers import ROOT, run_cli


def test_the_render_example_is_what_render_prints(tmp_path: Path, capsys):
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "config").mkdir()
    shutil.copy(ROOT / "config" / "flux.yaml", tmp_path / "config" / "flux.yaml")
    code, out, _ = run_cli(tmp_path, "render", "-s", "dev", capsys=capsys)
    text = (ROOT / "docs" / "check-and-render.md").read_text()
    start = text.index("`render --stack dev` for the example configuration:\n\n```yaml\n")
    example = text[start:].split("```yaml\n", 1)[1].split("```\n", 1)[0]
    assert code == 0 and example == out, "docs/check-and-render.md: the render example is out of date"
