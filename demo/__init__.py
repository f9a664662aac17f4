"""The development-only demo: ``python -m demo`` rigs the bundled head with the shipped weights,
animates it from a generated ARKit capture and renders a contact sheet (:mod:`demo.run`, numpy
side; :mod:`demo.scene`, the Blender side, run in a subprocess). Not part of the add-on zip.
"""
