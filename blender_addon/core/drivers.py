"""Scripted drivers on our shape keys' values, reading properties of the rig's object.

One place that (re)creates such a driver, so the slider drivers (:mod:`sliders`), the
corrective's ``min(jawOpen, mouthClose)`` (:mod:`corrective_keys`) and the viseme drivers
(:mod:`visemes`) replace an old driver the same way and never stack a second one.
"""

from __future__ import annotations

from .shape_keys import key_data_path


def remove_driver(key, name: str) -> bool:
    """Remove the driver of shape key ``name``'s value from the Key data-block ``key``, if any.
    Returns whether there was one."""
    ad = key.animation_data
    old = None if ad is None else ad.drivers.find(key_data_path(name))
    if old is None:
        return False
    ad.drivers.remove(old)
    return True


def set_driver(obj, name: str, variables: dict[str, str], expression: str) -> None:
    """(Re)create a scripted driver on the value of ``obj``'s shape key ``name``.

    ``variables``: {variable name: RNA path of a property of ``obj``} (single-property variables,
    created in this order); ``expression``: the driver's expression over those names. An old
    driver on that value is replaced, never duplicated.
    """
    key = obj.data.shape_keys
    if key.animation_data is None:
        key.animation_data_create()
    remove_driver(key, name)
    drv = key.key_blocks[name].driver_add("value").driver
    drv.type = "SCRIPTED"
    for var_name, path in variables.items():
        var = drv.variables.new()
        var.name = var_name
        var.type = "SINGLE_PROP"
        var.targets[0].id_type = "OBJECT"
        var.targets[0].id = obj
        var.targets[0].data_path = path
    drv.expression = expression
