"""Campaigns: many scenarios spread over processes or a Dask cluster, their JSON, JUnit and HTML
reports, and the hazard analysis traced to what exercises it.

May import: `pumpsim_scenarios.running`, `.files`, `firmware_protocol`, `pumpsim`.
"""
