"""Operators (``face_skinning.*``): poll, gather settings, call one core function, report."""

from . import clone, export, model, rig_check, skinning, sliders

modules = (model, skinning, rig_check, sliders, clone, export)
