import pytest

from strokeseg.cli import COMMANDS, build_parser, main


def test_top_level_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in COMMANDS:
        assert cmd in out


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_complete_help(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        main([cmd, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    # every option of the command is documented with a help text
    sub = next(a for a in build_parser()._subparsers._group_actions[0].choices.items() if a[0] == cmd)[1]
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{cmd} {action.option_strings} has no help"
            assert action.option_strings[-1] in out


def test_help_is_fast_and_imports_no_torch():
    """Building the whole parser (every command's options) and printing every --help imports no torch."""
    import subprocess
    import sys
    import time

    code = (
        "import sys, contextlib, io\n"
        "from strokeseg.cli import COMMANDS, build_parser\n"
        "parser = build_parser()\n"
        "for cmd in COMMANDS:\n"
        "    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "        parser.parse_args([cmd, '--help'])\n"
        "print('torch' in sys.modules, 'numpy' in sys.modules)\n"
    )
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "False False", res.stdout
    assert time.perf_counter() - t0 < 5.0


def test_python_m_strokeseg_runs():
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "strokeseg", "--version"], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.startswith("strokeseg ")
