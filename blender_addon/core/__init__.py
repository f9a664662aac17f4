"""bpy + numpy glue between Blender and :mod:`model` (imported via :mod:`._model_import`).

Modules: ``mesh_io`` (mesh <-> numpy, world transform), ``vertex_groups`` (``FS_`` groups),
``shape_keys`` (our FACS keys), ``sliders`` (slider values and drivers), ``animation`` (keyframes,
slotted-action compatible), ``capture_import`` (ARKit CSV/TXT, bpy-free), ``skinning`` (predict
and bake), ``clone`` (expression cloning), ``export`` (bake + FBX/glTF), ``model_cache`` (the
loaded network). Importing this package does not import bpy or torch.
"""
