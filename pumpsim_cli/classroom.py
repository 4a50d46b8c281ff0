"""`pumpsim classroom`: the command's door; the classroom lives in `pumpsim_classroom`."""

from pumpsim_classroom.command import add_parser

__all__ = ["add_parser"]
