"""Every file check, render and the program read is read bounded (issue #16): a FIFO, a symbolic link
loop, a folder or a huge file at any of those paths is one problem naming the file, answered at once.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pulumi
import pytest

from helpers import ROOT, TOKEN, carried_archive_replaced, run_cli, stack_file
from flux_bootstrap import chart
from flux_bootstrap.bounded_read import UnreadableFile, present, read_bytes_bounded
from flux_bootstrap.cli import find_project_dir, main
from flux_bootstrap.settings import display_path
from harness import COMPONENT, Run, run_program
from pems import app_private_key

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs and POSIX symbolic links here")

FIFO, LOOP = "not a regular file", "is a symbolic link that loops"
APP = {"auth": "github-app", "githubAppId": "12345", "githubAppInstallationId": "678"}
# Each file check reads, relative to the project, and the stack settings that make it read.
READ_FILES = {
    "config/flux.yaml": {},
    "config/secrets-flux.yaml": {},
    "config/age.agekey": {"sops": "provided"},
    "config/github-app.pem": APP,
    "config/ca.crt": {"auth": "https"},
    "Pulumi.yaml": {},
    "Pulumi.dev.yaml": {},
}


@pytest.fixture(autouse=True)
def answers_at_once():
    """A read that waits (a FIFO opened blocking) fails the test instead of hanging the suite."""

    def waited(signum, frame):
        raise TimeoutError("a read waited: it must be refused at once")

    previous = signal.signal(signal.SIGALRM, waited)
    signal.alarm(15)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def plant(path: Path, hazard: str) -> None:
    """Replace whatever is at `path` with a FIFO, a link to itself, or two links to each other."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.is_symlink() or path.exists():
        path.unlink()
    if hazard == "fifo":
        os.mkfifo(path)
    elif hazard == "loop":
        path.symlink_to(path.name)
    else:  # "loop of two"
        other = path.with_name(path.name + ".other")
        other.symlink_to(path.name)
        path.symlink_to(other.name)


HAZARDS = {"fifo": FIFO, "loop": LOOP, "loop of two": LOOP}


# The reader itself.

def test_a_regular_file_is_read_whole(tmp_path):
    path = tmp_path / "key"
    path.write_bytes(b"x" * 100)
    assert read_bytes_bounded(path, "key", 100, expected="a key file", missing="gone") == b"x" * 100


@pytest.mark.parametrize("hazard", HAZARDS)
def test_a_fifo_or_a_loop_is_refused_at_once(tmp_path, hazard):
    path = tmp_path / "age.agekey"
    plant(path, hazard)
    with pytest.raises(UnreadableFile) as err:
        read_bytes_bounded(path, "config/age.agekey", 1024, expected="an age key file", missing="gone")
    assert err.value.problem.source == "config/age.agekey"
    assert HAZARDS[hazard] in err.value.problem.message and "expected an age key file" in err.value.problem.message
    assert present(path)


def refusal(path: Path, **kwargs) -> str:
    with pytest.raises(UnreadableFile) as err:
        read_bytes_bounded(path, "f", kwargs.pop("max_bytes", 1024), expected="a key file", missing="file not found.", **kwargs)
    return err.value.problem.message


def test_a_missing_file_a_dangling_link_a_folder_and_a_device_are_refused(tmp_path):
    assert refusal(tmp_path / "nothing") == "file not found."
    assert not present(tmp_path / "nothing") and not present(tmp_path / "nothing" / "below")
    (tmp_path / "dangling").symlink_to("nothing")
    assert refusal(tmp_path / "dangling").startswith("is a symbolic link to a file that does not exist")
    assert refusal(tmp_path).startswith("is a directory, expected a key file. Put the file itself at this path.")
    if Path("/dev/zero").exists():
        assert FIFO in refusal(Path("/dev/zero"))


def test_a_file_over_the_cap_is_refused_without_its_content(tmp_path):
    path = tmp_path / "key"
    path.write_text(TOKEN * 10)
    message = refusal(path, max_bytes=64)
    assert message == "is larger than 64 bytes, far more than a key file needs; it was not read. Check that this is the right file."
    assert refusal(path, max_bytes=64, fix="Restore it.").endswith("it was not read. Restore it.")


def test_a_file_without_read_permission_is_refused(tmp_path):
    # Root reads every file, so the read runs in a child process as `nobody` (as CI runs as root).
    folder = tmp_path / "shared"
    folder.mkdir()
    for step in (tmp_path, folder):
        step.chmod(0o755)
    path = folder / "key"
    path.write_text("k")
    path.chmod(0)
    tmp_path.parent.chmod(0o755)
    tmp_path.parent.parent.chmod(0o755)
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to nobody, try the read, report the message
        try:
            os.close(reader)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            os.write(writer, refusal(path).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as answer:
        message = answer.read()
    os.waitpid(pid, 0)
    assert message.startswith("cannot be read: permission denied. Give your user read access")


def test_display_path_names_a_looping_file_and_a_file_below_a_looping_folder(tmp_path):
    plant(tmp_path / "age.agekey", "loop")
    assert display_path(tmp_path / "age.agekey", tmp_path) == "age.agekey"
    plant(tmp_path / "config", "loop")
    assert display_path(tmp_path / "config" / "flux.yaml", tmp_path) == "config/flux.yaml"


# `check` and `render` on a project with a FIFO or a loop at each file they read.

@pytest.mark.parametrize("hazard", HAZARDS)
@pytest.mark.parametrize("name", READ_FILES)
def test_check_refuses_a_fifo_or_a_loop_at_every_file_it_reads(project, capsys, name, hazard):
    (project / "config" / "github-app.pem").write_text(app_private_key())
    stack_file(project, READ_FILES[name])
    plant(project / name, hazard)
    code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert (code, out) == (1, "")
    assert f"\n{name}:\n  - " in err and HAZARDS[hazard] in err and "Traceback" not in err


@pytest.mark.parametrize("hazard,fragment", [("fifo", "is not a folder."), ("loop", LOOP), ("loop of two", LOOP)])
def test_check_and_render_refuse_a_config_folder_that_is_no_folder(project, capsys, hazard, fragment):
    plant(project / "config", hazard)
    for command in ("check", "render"):
        code, out, err = run_cli(project, command, "--stack", "dev", capsys=capsys)
        assert (code, out) == (1, "")
        assert f"\nconfig:\n  - {fragment}" in err and "point the configDir stack setting to one" in err


def test_check_refuses_a_config_dir_setting_that_loops(project, capsys):
    plant(project / "elsewhere", "loop")
    stack_file(project, {"configDir": "elsewhere"})
    code, _, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert code == 1 and f"setting 'flux-bootstrap:configDir': {LOOP}" in err


def test_render_refuses_a_fifo_key_file(project, capsys):
    stack_file(project, {"sops": "provided"})
    plant(project / "config" / "age.agekey", "fifo")
    code, out, err = run_cli(project, "render", "--stack", "dev", capsys=capsys)
    assert (code, out) == (1, "") and f"config/age.agekey:\n  - is {FIFO}" in err


@pytest.mark.parametrize("hazard", HAZARDS)
def test_check_refuses_a_fifo_or_a_loop_at_the_chart_archive(project, capsys, tmp_path, monkeypatch, hazard):
    with carried_archive_replaced(monkeypatch, tmp_path, lambda path: plant(path, hazard)):
        code, out, err = run_cli(project, "check", "--stack", "dev", capsys=capsys)
    assert (code, out) == (1, "")
    assert "charts/flux2-2.18.3.tgz:\n  - " in err and HAZARDS[hazard] in err
    assert "git checkout -- charts/flux2-2.18.3.tgz" in err


def test_every_carried_archive_is_far_below_the_cap():
    for carried in chart.CARRIED.values():
        assert carried.path.stat().st_size * 4 < chart.MAX_ARCHIVE_BYTES


def test_a_looping_pulumi_yaml_is_found_and_refused(project, capsys, monkeypatch):
    plant(project / "Pulumi.yaml", "loop")
    assert find_project_dir(project / "config") == project
    monkeypatch.chdir(project)
    assert main(["check", "--stack", "dev"]) == 1
    assert f"Pulumi.yaml:\n  - {LOOP}" in capsys.readouterr().err


def test_a_looping_project_dir_is_a_usage_error(tmp_path, capsys):
    plant(tmp_path / "project", "loop")
    with pytest.raises(SystemExit) as exit:
        main(["--project-dir", str(tmp_path / "project"), "check", "--stack", "dev"])
    assert exit.value.code == 2 and "--project-dir leads through a symbolic link that loops" in capsys.readouterr().err


# The program under mocks: the same refusals, before anything is registered.

PROGRAM_FILES = {name.removeprefix("config/"): settings for name, settings in READ_FILES.items() if name.startswith("config/")}


@pytest.mark.parametrize("hazard", ["fifo", "loop"])
@pytest.mark.parametrize("name", PROGRAM_FILES)
def test_the_program_refuses_a_fifo_or_a_loop_at_every_config_file(config_dir, name, hazard):
    (config_dir / "github-app.pem").write_text(app_private_key())
    plant(config_dir / name, hazard)
    run = Run()
    with pytest.raises(pulumi.RunError, match=f"(?s){name}:\n  - .*{HAZARDS[hazard]}"):
        run_program({"configDir": str(config_dir), **PROGRAM_FILES[name]}, run=run)
    assert run.registrations == []


def test_the_program_refuses_a_config_dir_that_loops(tmp_path):
    plant(tmp_path / "config", "loop")
    with pytest.raises(pulumi.RunError, match=f"configDir': {LOOP}"):
        run_program({"configDir": str(tmp_path / "config")})


@pytest.mark.parametrize("hazard", ["fifo", "loop"])
def test_the_program_refuses_a_fifo_or_a_loop_at_the_chart_archive(config_dir, tmp_path, monkeypatch, hazard):
    run = Run()
    with carried_archive_replaced(monkeypatch, tmp_path, lambda path: plant(path, hazard)):
        with pytest.raises(pulumi.RunError, match=f"(?s)charts/flux2-2.18.3.tgz:\n  - .*{HAZARDS[hazard]}"):
            run_program({"configDir": str(config_dir)}, run=run)
    assert run.registrations == []  # refused with the plan, before the component
    assert ROOT.joinpath("charts", "flux2-2.18.3.tgz").is_file()
