"""Scenarios: scripted situations and faults for QA campaigns and live training.

`spec` reads and checks scenario files, `runner` plays one on the model or through the whole
stack, `campaign` runs many (in parallel, or on a Dask cluster) and writes reports, `hazards`
traces the hazard analysis to the scenarios and tests that exercise it.
"""
