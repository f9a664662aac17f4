"""Neural Face Skinning: mesh-agnostic skinning and FACS expression cloning.

The package is numpy in, numpy out. Torch is imported lazily inside the modules that need it,
so ``import model`` stays cheap and never pulls Blender (``bpy``).

Conventions used across the package (each public function restates what applies to it):

* vertices: ``(V, 3)`` float arrays in the order of the input file; nothing is merged,
  reordered or dropped. Faces for computation are triangles ``(T, 3)`` int64.
* model frame ("canonical"): Y up, face looking toward +Z (the OBJ convention of ICT-FaceKit),
  translation and scale removed (see :mod:`model.frame`).
* ICT-FaceKit units are centimetres.

Internal imports are relative so the package also works vendored inside the Blender add-on.
"""

__version__ = "0.1.0"
