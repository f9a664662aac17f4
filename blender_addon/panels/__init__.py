"""Sidebar panels (3D Viewport > N > Face Skinning), in workflow order."""

from . import analysis, clone, export, gains, model, shape_keys, skinning, sliders, visemes

modules = (model, analysis, skinning, shape_keys, sliders, clone, export, gains, visemes)
