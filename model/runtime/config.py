"""The network's hyperparameters (:class:`NetConfig`), free of torch so that the numpy runtime
(:mod:`model.runtime`) and the config checks can read a weights folder without it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class NetConfig:
    """All hyperparameters of the network (stored as JSON next to the weights)."""

    region_names: tuple[str, ...]
    expression_names: tuple[str, ...]
    width: int = 64
    depth: int = 4
    k_eig: int = 96
    id_dim: int = 32
    pool_dim: int = 128
    mask_hidden: int = 64
    dec_hidden: int = 128
    hks_times: tuple[float, ...] = (1e-3, 1e-2, 1e-1)
    # sin/cos of canonical positions at these angular frequencies (empty: positions only); lets
    # the per-vertex MLPs form the sharp spatial functions that eyelids and lips need
    pos_freqs: tuple[float, ...] = ()
    # canonical deltas are small next to the unit-sized face: inputs are multiplied and outputs
    # divided by this so that the network works with O(1) numbers
    delta_scale: float = 20.0
    # ridge of the encoder's least squares, relative to the mean diagonal of its normal matrix
    ridge: float = 1e-3
    # inference-time encoder: least squares with codes boxed to [0, 1] and this L1 weight
    # (per-unit cost, see code_l1_power and training.nn.encoder.solve_codes); sparse, valid weights
    code_l1: float = 0.03
    code_iterations: int = 300
    # exponent p of the per-unit L1 cost N_ii^p mean(N)^(1-p) (training.nn.encoder.solve_codes)
    code_l1_power: float = 0.0
    # default method of FaceModel.encode (chosen on training meshes by benchmarks/select_code_l1.py)
    encode_method: str = "learned"
    # learned expression encoder (training.nn.encoder): DiffusionNet width and depth, MLP width
    enc_width: int = 64
    enc_depth: int = 4
    enc_hidden: int = 128
    # lower bound of the localization mask: a sigmoid that reaches 0 never recovers (its gradient
    # vanishes), and small units (eyeWide, eyeLookIn/Out) died that way in an earlier training run
    mask_floor: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        d = asdict(self)
        d["region_names"] = list(self.region_names)
        d["expression_names"] = list(self.expression_names)
        d["hks_times"] = list(self.hks_times)
        d["pos_freqs"] = list(self.pos_freqs)
        return d

    @classmethod
    def from_json(cls, d: dict) -> NetConfig:
        d = dict(d)
        for key in ("region_names", "expression_names", "hks_times", "pos_freqs"):
            d[key] = tuple(d[key])
        known = set(cls.__dataclass_fields__)
        unknown = set(d) - known
        if unknown:
            raise KeyError(f"unknown config keys {sorted(unknown)}")
        return cls(**d)
