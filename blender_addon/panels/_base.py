"""Shared panel settings: 3D Viewport sidebar, tab "Face Skinning"."""

from __future__ import annotations

CATEGORY = "Face Skinning"


class SidebarPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = CATEGORY
