"""Measurement campaigns: scan schedules, calibration runs, truth hypothesis and seed."""

from renpsim.campaign.campaign import (
    CalibrationConfig,
    Campaign,
    ScanConfig,
    Steps,
    TruthConfig,
    campaign_from_dict,
    list_campaign_presets,
    load_campaign,
)

__all__ = [
    "CalibrationConfig",
    "Campaign",
    "ScanConfig",
    "Steps",
    "TruthConfig",
    "campaign_from_dict",
    "list_campaign_presets",
    "load_campaign",
]
