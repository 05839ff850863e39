"""Run the CLI as ``python -m egov_qa``."""

from egov_qa.cli import main

main()
