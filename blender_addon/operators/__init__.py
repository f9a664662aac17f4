"""Operators (``face_skinning.*``): poll, gather settings, call one core function, report."""

from . import analysis, clone, export, model, skinning, sliders

modules = (model, analysis, skinning, sliders, clone, export)
