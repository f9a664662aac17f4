"""The capture-import options of ``Scene.nfs_capture`` as a core ``ImportOptions``."""

from __future__ import annotations

from ..core._model_import import facs
from ..core.capture_import import ImportOptions
from ..properties.capture import CAPTURE_PROP


def capture_options(scene, smoothing: int) -> ImportOptions:
    """Options from the scene's capture settings; ``smoothing`` is the global window."""
    c = getattr(scene, CAPTURE_PROP)
    per_region = (
        {r: int(getattr(c, f"smoothing_{r}")) for r in facs.REGION_NAMES} if c.use_region_smoothing else None
    )
    return ImportOptions(
        neutral=c.neutral,
        neutral_frame=int(c.neutral_frame),
        rescale=bool(c.rescale),
        regions=tuple(r for r in facs.REGION_NAMES if r.upper() in c.regions),
        smoothing=int(smoothing),
        region_smoothing=per_region,
    )
