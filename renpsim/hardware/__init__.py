"""Hardware models: target cell, trigger lasers, waveguide, backgrounds, detector.

Source: docs/reference/hardware.md.

Entry points: :func:`load_hardware` (preset name or TOML path, with overrides) and
:class:`HardwareConfig`.
"""

from renpsim.hardware.config import (
    HardwareConfig,
    hardware_from_dict,
    list_detector_presets,
    list_hardware_presets,
    load_hardware,
)

__all__ = [
    "HardwareConfig",
    "hardware_from_dict",
    "list_detector_presets",
    "list_hardware_presets",
    "load_hardware",
]
