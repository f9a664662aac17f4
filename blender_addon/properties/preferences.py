"""Add-on preferences: an optional weights folder instead of the shipped one."""

from __future__ import annotations

import bpy
from bpy.props import StringProperty

ADDON_ID = __package__.rpartition(".")[0]


class NFS_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = ADDON_ID

    weights_path: StringProperty(
        name="Weights Folder",
        subtype="DIR_PATH",
        description="Folder with config.json + model.pt; empty: the weights shipped with the add-on",
    )

    def draw(self, context):
        self.layout.prop(self, "weights_path")


def weights_path(context) -> str:
    """The preferences' weights folder, or "" (also when the add-on is not enabled through prefs)."""
    addon = context.preferences.addons.get(ADDON_ID)
    return addon.preferences.weights_path if addon is not None and addon.preferences else ""


classes = (NFS_AP_preferences,)


def register() -> None:
    pass


def unregister() -> None:
    pass
