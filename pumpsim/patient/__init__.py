"""The virtual patient at the end of the catheter (illustrative: for training and testing, never
dosing): drug exposure in the CSF relative to each virtual patient's own baseline, and the signs
that follow from it.

Bottom up: `parameters` (every number, with its source), `kinetics` (the closed form of one
compartment), `profile` (who the patient is; cohorts from a seed), `signs` (what can happen),
`tracker` (one drug's state and its signs' state machine), `response` and `ahead` (a schedule's
steady cycle; when a deviation is clear of every level), `exact` (the piece-by-piece walk),
`state` (what the engine carries each stretch), `view` (what the simulator reads). May import:
`pumpsim.domain`, `pumpsim.rules` (the schedule's curve), `pumpsim.units`. Pure.
"""
