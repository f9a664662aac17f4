"""Operators (``face_skinning.*``): poll, gather settings, call one core function, report."""

from . import analysis, clone, export, gains, lip_cut, live, model, rig_check, skinning, sliders, visemes

modules = (model, analysis, skinning, rig_check, sliders, clone, export, live, gains, visemes)
modules += (lip_cut,)
