"""``python -m voc`` runs the command-line interface."""
from voc.cli import main

main()
