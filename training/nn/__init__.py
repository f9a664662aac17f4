"""Torch modules of the network (DiffusionNet-style blocks, encoders, decoder).

Only torch users import this package (except :mod:`.config`, torch-free); ``import model`` never
reaches it. The numpy boundary is
:mod:`model.api`.
"""
