"""Operators (``face_skinning.*``): poll, gather settings, call one core function, report."""

from . import clone, export, model, skinning, sliders

modules = (model, skinning, sliders, clone, export)
