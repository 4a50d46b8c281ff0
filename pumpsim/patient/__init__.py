"""The virtual patient at the end of the catheter (illustrative: for training and testing, never
dosing): drug exposure in the CSF relative to each virtual patient's own baseline.

So far its kinetics in closed form and its parameters with their sources; the pump does not yet
drive it (the engine's stretches will, issue 19). May import: `pumpsim.units`. Pure.
"""
