"""Operators (``face_skinning.*``): poll, gather settings, call one core function, report."""

from . import analysis, clone, export, live, model, rig_check, skinning, sliders

modules = (model, analysis, skinning, rig_check, sliders, clone, export, live)
