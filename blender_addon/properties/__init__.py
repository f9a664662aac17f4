"""Blender properties: sliders on objects, workflow settings on the scene, add-on preferences."""

from . import preferences, settings, sliders

modules = (sliders, settings, preferences)
