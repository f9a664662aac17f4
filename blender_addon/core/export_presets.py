"""Exporter options per target engine ("Default", "Unity", "Unreal"): the one table. bpy-free.

Every preset starts from :data:`FBX_REQUIRED` / :data:`GLTF_REQUIRED`, the options without which
the shape keys or their animation would not survive (modifiers are never applied: applying them
drops the shape keys; only the chosen object; the baked shape-key curves sampled every frame).
A preset adds the engine's conventions on top and may not change a required option.

Axes are Blender's exporter terms: Blender is Z up, -Y forward (a face looks at -Y).

* **Default**: the exporters' own conventions (FBX -Z forward / Y up, glTF Y up with morph normals).
* **Unity**: Y up, -Z forward with the transform applied to the vertices
  (``bake_space_transform``), so the imported object has no -90 degree X rotation; unit scale
  applied as FBX units so a 1 m Blender head is 1 Unity unit at import scale 1; per-face
  smoothing so the importer does not warn about missing smoothing groups. glTF keeps morph
  normals (glTFast and UnityGLTF read them; blend-shape lighting is wrong without them).
* **Unreal**: Z up, X forward, centimetres (the file's unit says cm: a 1 m Blender head
  imports as 100 Unreal units at import scale 1); per-face smoothing (Unreal warns
  "No smoothing group information" without it). glTF drops the morph normals: Unreal's importer
  recomputes morph-target normals by default, so they would only add size.

Shape-key names: FBX writes each key as a named blend-shape channel in every preset. glTF 2.0
has no name field on morph targets; Blender's glTF exporter writes the names as the mesh's
``extras.targetNames`` whenever ``export_morph`` is on (checked in bpy 4.2, 4.5 and 5.0; there
is no separate switch), which Unity's and Unreal's glTF importers and Blender's own read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

FBX_REQUIRED: Mapping[str, object] = MappingProxyType(
    {
        "use_selection": True,
        "object_types": {"MESH", "ARMATURE", "EMPTY"},
        "use_mesh_modifiers": False,  # applying modifiers would drop the shape keys
        "bake_anim": True,
        "bake_anim_use_all_bones": False,
        "bake_anim_use_nla_strips": False,
        "bake_anim_use_all_actions": False,
        "bake_anim_force_startend_keying": True,
        "bake_anim_simplify_factor": 0.0,  # keep every baked frame: captures have fast motion
        "add_leaf_bones": False,  # engines import leaf bones as extra joints
    }
)

GLTF_REQUIRED: Mapping[str, object] = MappingProxyType(
    {
        "use_selection": True,
        "export_apply": False,  # applying modifiers would drop the shape keys
        "export_morph": True,  # also what writes extras.targetNames (the key names)
        "export_animations": True,
        "export_morph_animation": True,
        "export_frame_range": True,
        "export_force_sampling": True,
    }
)


@dataclass(frozen=True)
class ExportPreset:
    """One engine's exporter options on top of the required ones. ``fbx`` / ``gltf``: keyword
    arguments of ``bpy.ops.export_scene.fbx`` / ``.gltf``."""

    key: str
    label: str
    description: str
    fbx: Mapping[str, object] = field(default_factory=dict)
    gltf: Mapping[str, object] = field(default_factory=dict)


PRESETS: dict[str, ExportPreset] = {
    p.key: p
    for p in (
        ExportPreset(
            "DEFAULT",
            "Default",
            "The exporters' own axes and units (FBX -Z forward / Y up; glTF with morph normals)",
            fbx={"axis_forward": "-Z", "axis_up": "Y", "apply_unit_scale": True,
                 "apply_scale_options": "FBX_SCALE_NONE", "mesh_smooth_type": "OFF"},
            gltf={"export_yup": True, "export_morph_normal": True, "export_morph_tangent": False},
        ),
        ExportPreset(
            "UNITY",
            "Unity",
            "Unity: Y up, -Z forward with the rotation applied, 1 m = 1 unit, morph normals kept",
            fbx={"axis_forward": "-Z", "axis_up": "Y", "bake_space_transform": True,
                 "apply_unit_scale": True, "apply_scale_options": "FBX_SCALE_UNITS",
                 "mesh_smooth_type": "FACE"},
            gltf={"export_yup": True, "export_morph_normal": True, "export_morph_tangent": False},
        ),
        ExportPreset(
            "UNREAL",
            "Unreal",
            "Unreal Engine: Z up, X forward, centimetres, smoothing groups; glTF without morph "
            "normals (Unreal recomputes them)",
            fbx={"axis_forward": "X", "axis_up": "Z", "bake_space_transform": False,
                 "apply_unit_scale": True, "apply_scale_options": "FBX_SCALE_NONE",
                 "mesh_smooth_type": "FACE"},
            gltf={"export_yup": True, "export_morph_normal": False, "export_morph_tangent": False},
        ),
    )
}  # fmt: skip

PRESET_ITEMS: list[tuple[str, str, str]] = [(p.key, p.label, p.description) for p in PRESETS.values()]


def get_preset(key: str) -> ExportPreset:
    """The preset named ``key`` (``"DEFAULT" | "UNITY" | "UNREAL"``); ValueError names the choices."""
    try:
        return PRESETS[key]
    except KeyError:
        raise ValueError(f"unknown export preset {key!r}: use one of {', '.join(PRESETS)}") from None


def _merge(required: Mapping[str, object], extra: Mapping[str, object], what: str) -> dict[str, object]:
    clash = sorted(set(required) & set(extra))
    if clash:  # a preset table bug, caught by the tests: the required options are not negotiable
        raise ValueError(f"{what} overrides required exporter options {clash}")
    return {**required, **extra}


def fbx_options(key: str) -> dict[str, object]:
    """Keyword arguments for ``bpy.ops.export_scene.fbx`` (without ``filepath``) for preset ``key``."""
    preset = get_preset(key)
    return _merge(FBX_REQUIRED, preset.fbx, f"preset {preset.label} (FBX)")


def gltf_options(key: str, binary: bool) -> dict[str, object]:
    """Keyword arguments for ``bpy.ops.export_scene.gltf`` (without ``filepath``) for preset ``key``;
    ``binary``: one .glb file, else .gltf JSON with a separate .bin."""
    preset = get_preset(key)
    options = _merge(GLTF_REQUIRED, preset.gltf, f"preset {preset.label} (glTF)")
    options["export_format"] = "GLB" if binary else "GLTF_SEPARATE"
    return options
