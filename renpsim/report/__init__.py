"""End-to-end reports: campaign -> run file -> fit -> sensitivity -> limits -> summary.

The top layer of the library (it uses the DAQ, statistics and limits layers); ``renpsim run`` is
its command-line front end.
"""

from renpsim.report.pipeline import DEFAULT_CAMPAIGN, ReportSettings, run_report

__all__ = ["DEFAULT_CAMPAIGN", "ReportSettings", "run_report"]
