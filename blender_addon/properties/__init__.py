"""Blender properties: sliders on objects, workflow settings on the scene, add-on preferences."""

from . import capture, gains, preferences, settings, sliders, visemes

modules = (sliders, settings, preferences, gains, capture, visemes)
