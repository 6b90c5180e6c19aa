"""The ``solo-unicorn`` command line. Each module here adds one group of subcommands."""
