"""The command line loads its commands lazily and documents every one."""

from click.testing import CliRunner

from curvedoc.dashboard.cli import COMMANDS, cli


def test_help_lists_the_main_commands():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "curvedoc check runs/" in result.output


def test_every_available_command_has_help_text():
    runner = CliRunner()
    for name in cli.list_commands(None):
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert len(result.output.splitlines()) > 3, name
    assert set(cli.list_commands(None)) <= set(COMMANDS)
