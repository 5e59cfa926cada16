"""Option groups and argument types shared by the commands (argparse only; nothing below the CLI)."""

from strokeseg.cli.options.data import (
    add_input,
    add_layout_options,
    add_nonfinite_option,
    add_output_options,
    input_path,
    output_mode,
    require,
)
from strokeseg.cli.options.executor import add_executor_options, executor_config
from strokeseg.cli.options.output import say
from strokeseg.cli.options.perfusion import add_perfusion_options, perfusion_config
from strokeseg.cli.options.series import open_input, series_choice
from strokeseg.cli.options.training import add_training_options, training_overrides
from strokeseg.cli.options.types import fold_list, fraction, label_map_arg, nonnegative_float, nonnegative_int, positive_float, positive_int

__all__ = [
    "add_executor_options",
    "add_input",
    "add_layout_options",
    "add_nonfinite_option",
    "add_output_options",
    "add_perfusion_options",
    "add_training_options",
    "executor_config",
    "fold_list",
    "fraction",
    "input_path",
    "label_map_arg",
    "nonnegative_float",
    "nonnegative_int",
    "open_input",
    "output_mode",
    "perfusion_config",
    "positive_float",
    "positive_int",
    "require",
    "say",
    "series_choice",
    "training_overrides",
]
