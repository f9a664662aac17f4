"""Neural Face Skinning: predict face-region weights, bake FACS shape keys, clone expressions.

Blender 4.2+ extension ``neural_face_skinning`` (``blender_manifest.toml``); ``bl_info`` is kept
for legacy add-on installs. Registration needs neither torch nor the network: torch is imported
when a model is loaded, and the Model panel explains how to get it when it is missing.
"""

from __future__ import annotations

bl_info = {
    "name": "Neural Face Skinning",
    "author": "Neural Face Skinning contributors",
    "version": (0, 1, 0),
    "blender": (4, 2, 0),
    "location": "3D Viewport > Sidebar > Face Skinning",
    "description": "Mesh-agnostic face skinning, FACS shape keys and expression cloning",
    "category": "Animation",
}

_registered: list = []


def _modules():
    from . import operators, panels, properties

    return (*properties.modules, *operators.modules, *panels.modules)


def register() -> None:
    """Register property groups, operators and panels (in that order)."""
    import bpy

    if _registered:
        return
    for mod in _modules():
        for cls in getattr(mod, "classes", ()):
            bpy.utils.register_class(cls)
            _registered.append(cls)
        if hasattr(mod, "register"):
            mod.register()


def unregister() -> None:
    """Unregister everything :func:`register` did, in reverse order. The loaded model is dropped."""
    import bpy

    from .core import model_cache

    for mod in reversed(_modules()):
        if hasattr(mod, "unregister"):
            mod.unregister()
    while _registered:
        bpy.utils.unregister_class(_registered.pop())
    model_cache.unload()
