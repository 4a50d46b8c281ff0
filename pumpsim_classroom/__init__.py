"""The classroom: simulated pumps for a class of trainees, each seat's programmer served to a web
browser, and an instructor console that watches and perturbs every seat.

Holds the seats (a pump, its keys and memory, its TCP line and its rig port), the class's conduct
(the scenario per seat, the class clock, the console's glance at each seat), the pages and the
web server. May import the programmer (`programmer_tui`), the scenarios (`pumpsim_scenarios`), the
protocol and the model; nothing imports it but `pumpsim_cli.classroom`, the command's door.
"""
