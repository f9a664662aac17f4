"""The network's inference in numpy + scipy, without torch (the Blender add-on's runtime).

Same forward passes as :mod:`training.nn` (trunk, skinning weights, decoder bake, the expression
encoder's analysis basis and the boxed code solve), in float32, from the weights exported to
``model.npz`` (:mod:`model.runtime.weights`). Training stays in torch.
"""
