"""Training and evaluation of the network (never shipped in the add-on; needs torch, the ``train``
extra and ICT-FaceKit).

Everything here builds on the runtime package :mod:`model` and nothing in :mod:`model` imports
from here: the torch network (:mod:`training.nn`), its weights I/O (:mod:`training.torch_weights`),
the ICT-derived training data (:mod:`training.augment`, the held-out :mod:`training.split`), the
training loop (:mod:`training.loop`), the evaluation (:mod:`training.evaluation`) and the
derivations of the committed tables (:mod:`training.regions_derivation`,
:mod:`training.rig_check_reference`). Command line: ``python -m training --help``.
"""
