"""The geometric blink carried on the network's own blink where the network knows the lids.

The geometric solver (:mod:`model.eyelids`) closes any eye, but its falloff is a guess wide
enough for every lid: on heads like ICT-FaceKit's it moves the skin above the crease and below
the lower lid far more than ICT's blink does (held-out ICT eyeBlink relative error 0.6-1.4 per
head, worse than no motion). The network's blink has ICT's falloff there but stops short (it
closes 60-98 % of the opening). So on an eye opening where the network's blink moves the lid
margins the way the solver does, the blink is the network's plus the least share ``k`` of a
tightly falling off geometric blink (:data:`ICT_FALLOFF`) that closes the eye; where the network
barely moves the lids (meshes unlike ICT's), the solver's own blink is kept. Closed sockets (no
opening to measure) keep the solver's blink. numpy only; canonical frame (:mod:`model.frame`).
"""

from __future__ import annotations

import numpy as np

from .eyelids import Falloff, LidFrame, blink_deltas
from .face_landmarks import largest_component_mask, margin_neighbourhoods

# the falloff of ICT-FaceKit's blink, measured on three training heads (not the held-out ones):
# the lid's skin moves to ~0.3 opening heights past each edge and within ~0.3 eyeball radii
# beyond the lid edges' distance; the skin above the crease (1.3-1.5 radii out) hardly moves
ICT_FALLOFF = Falloff(plateau_up=0.0, band_up=0.3, plateau_low=0.0, band_low=0.3, start=1.1, reach=0.3)
# the network's gain along the solver's blink on the lid margins: below LOW it is not trusted
# (the solver's blink is kept), above HIGH it is carried fully
TRUST_LOW, TRUST_HIGH = 0.3, 0.45
# ... and the cosine between the two on the margins: noise is not a blink (ICT heads, the demo
# head: 0.8-0.95)
AGREE_LOW, AGREE_HIGH = 0.5, 0.7
# the blend closes the eye fully (the rig check's measure) with this share of the blink to
# spare: the bake's later stages (the lid re-symmetrization of an asymmetric head, the flip
# repair) nudge the lids, and a blend that closes just so reopened a slit (an unseen ICT head:
# 99.9 / 96 % without it)
SPARE = 0.05


def _margin_rows(frame: LidFrame) -> np.ndarray:
    rows = [m for m in (frame.upper_margin, frame.lower_margin) if m is not None and len(m)]
    return np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)


def network_gain(network: np.ndarray, geometric: np.ndarray, frame: LidFrame) -> float:
    """How far the network's blink ``(V, 3)`` moves the lid margins along the solver's blink
    ``(V, 3)``: ``sum(net . geo) / sum(|geo|^2)`` over ``frame``'s margin vertices (1 = as far,
    0 = not at all or across)."""
    idx = _margin_rows(frame)
    g = geometric[idx].astype(np.float64)
    den = float((g * g).sum())
    return float((network[idx].astype(np.float64) * g).sum() / den) if den > 0 else 0.0


def network_agreement(network: np.ndarray, geometric: np.ndarray, frame: LidFrame) -> float:
    """The cosine between the network's and the solver's blink over ``frame``'s margin vertices
    (all their 3-vectors as one vector): 1 = the margins move the same way, ~0 = unrelated
    (noise that a gain alone could take for a blink)."""
    idx = _margin_rows(frame)
    n, g = network[idx].astype(np.float64).ravel(), geometric[idx].astype(np.float64).ravel()
    den = float(np.linalg.norm(n) * np.linalg.norm(g))
    return float(n @ g / den) if den > 0 else 0.0


def _open_share(
    canonical: np.ndarray, triangles: np.ndarray, frame: LidFrame, reference: np.ndarray | None = None
):
    """A function ``deltas (V, 3) -> float``: the largest share of the neutral gap between the
    lids that ``deltas`` leave open, over the samples across ``frame``'s opening (<= 0: closed
    everywhere, the rig check's 100 % closure; continuous in ``deltas``, so the share that
    closes the eye is too). The gap is the rig check's (:func:`model.rig_check.check_rig`): at
    19 samples across the opening, the lowest point of each upper margin vertex's neighbourhood
    minus the highest of the lower's (:func:`model.face_landmarks.margin_neighbourhoods`).

    reference: a blink ``(V, 3)`` that closes the lids by construction (the solver's): where the
    measure still sees it open, that gap is allowed. The measure's neighbourhoods are edge rings,
    so on a dense mesh (a scan, a subdivided head) they stop short of the visible lid edge and a
    sample can stay "open" by a few hundredths of the eye's width however far the lids go; chasing
    it made the blend push the rest of the upper lid a seventh of the eye's width past the lower
    one, folding it into a stepped lid line (the demo head split in four)."""
    eye = frame.opening
    skin = largest_component_mask(len(canonical), triangles)
    from .rig_check import lid_gap

    gap = lid_gap(
        canonical, eye, margin_neighbourhoods(triangles, skin, eye.upper, eye.lower, points=canonical)
    )
    if gap is None:
        return lambda d: 0.0
    before = gap(canonical)
    opened = before > 0
    if not opened.any():
        return lambda d: 0.0
    allowed = 0.0 if reference is None else np.maximum(gap(canonical + reference)[opened], 0.0)
    return lambda d: float(((gap(canonical + d)[opened] - allowed) / before[opened]).max())


def _smoothstep(x: float, lo: float, hi: float) -> float:
    t = float(np.clip((x - lo) / (hi - lo), 0.0, 1.0))
    return t * t * (3.0 - 2.0 * t)


def trust(gain: float, agreement: float) -> float:
    """How much of the network's blink to carry (0-1): smoothsteps of :func:`network_gain`
    (:data:`TRUST_LOW` to :data:`TRUST_HIGH`) and :func:`network_agreement` (:data:`AGREE_LOW`
    to :data:`AGREE_HIGH`), multiplied."""
    return _smoothstep(gain, TRUST_LOW, TRUST_HIGH) * _smoothstep(agreement, AGREE_LOW, AGREE_HIGH)


def _least_closing_share(left, steps: int) -> float | None:
    """The least ``k`` in [0, 1] with ``left(k) <= 0`` (``left``: continuous, decreasing in
    ``k``): bisection for ``steps`` rounds, then the secant in the last bracket, so ``k`` moves
    continuously with the shapes (float noise in the network's blink never jumps it a bisection
    step). None when even ``k = 1`` leaves the eye open."""
    hi_left = left(1.0)
    if hi_left > 0.0:
        return None
    lo_left = left(0.0)
    if lo_left <= 0.0:
        return 0.0
    lo, hi = 0.0, 1.0
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        mid_left = left(mid)
        if mid_left <= 0.0:
            hi, hi_left = mid, mid_left
        else:
            lo, lo_left = mid, mid_left
    return lo + (hi - lo) * lo_left / (lo_left - hi_left)


def blend_blinks(
    canonical: np.ndarray,
    triangles: np.ndarray,
    frames: dict,
    network: dict,
    geometric: dict,
    steps: int = 8,
) -> tuple[dict, float, float]:
    """Both eyes' blinks ``{side: (V, 3) float32}``, with the ``(trust, k)`` used.

    canonical ``(V, 3)``, triangles ``(T, 3)``; frames: ``{side: LidFrame}``; network,
    geometric: ``{side: (V, 3)}`` the network's and the solver's blink
    (:func:`model.eyelids.blink_deltas`) of the eyes the solver closes. An eye with an opening
    gets ``trust * (network + k * tight) + (1 - trust) * geometric``, ``tight`` the solver's
    blink with :data:`ICT_FALLOFF`; ``trust`` (:func:`trust`) from the mean
    :func:`network_gain` of those eyes and their least :func:`network_agreement`;
    ``k`` the least share in [0, 1] that closes every one of them fully (the rig check's
    measure, :func:`_open_share`, with :data:`SPARE` to spare). One ``trust``
    and ``k`` for both eyes: a mirror-symmetric head gets mirror-symmetric blinks (the lid
    re-symmetrization would otherwise average a closing lid with one that closes by less).
    Eyes without an opening, and all eyes when the network is not trusted or the blend cannot
    close them, keep the solver's blink.
    """
    out = {side: np.asarray(g, dtype=np.float32) for side, g in geometric.items()}
    sides = [side for side in geometric if frames[side].opening is not None]
    if not sides:
        return out, 0.0, 1.0
    gain = float(np.mean([network_gain(network[s], geometric[s], frames[s]) for s in sides]))
    agreement = min(network_agreement(network[s], geometric[s], frames[s]) for s in sides)
    share = trust(gain, agreement)
    if share <= 0.0:
        return out, 0.0, 1.0
    pts = np.asarray(canonical, dtype=np.float64)
    tris = np.asarray(triangles, dtype=np.int64)
    parts = {}
    for side in sides:
        tight, _ = blink_deltas(pts, tris, side, frames[side], falloff=ICT_FALLOFF)
        parts[side] = (np.asarray(network[side], np.float64), tight, np.asarray(geometric[side], np.float64))

    def blink(side: str, k: float) -> np.ndarray:
        net, tight, geo = parts[side]
        out = share * (net + k * tight) + (1.0 - share) * geo
        out[frames[side].eyeball] = 0.0  # the eyeballs stay still, as in the solver's blink
        return out

    shares = []
    for side in sides:
        open_share = _open_share(pts, tris, frames[side], reference=(1.0 - SPARE) * parts[side][1])

        def left(k: float, side=side, open_share=open_share) -> float:
            return open_share((1.0 - SPARE) * blink(side, k))

        shares.append(_least_closing_share(left, steps))
    if any(k is None for k in shares):
        return out, 0.0, 1.0
    k = max(shares)
    for side in sides:
        out[side] = _settle_flips(pts, tris, blink(side, k), parts[side][2]).astype(np.float32)
    return out, share, k


def _settle_flips(
    pts: np.ndarray, tris: np.ndarray, blend: np.ndarray, geometric: np.ndarray, rounds: int = 30
):
    """``blend (V, 3)`` eased towards the solver's ``geometric (V, 3)`` blink (which flips no
    triangle) around the triangles it flips: the network's lid and the closing share add up to
    a fold where the lids meet on a coarse mesh (one triangle per eye on the demo head). Each
    round halves the blend's share on the flipped triangles' vertices and their neighbours."""
    from .eyelids import _corner_of, _Flips

    flipped = _Flips(pts, tris)
    corner_of = _corner_of(len(pts), tris)

    def triangles_at(vertices: np.ndarray) -> np.ndarray:
        return np.unique(corner_of[vertices].indices)

    weight = np.ones(len(pts))
    diff = blend - geometric
    out = blend
    bad = flipped(pts + out)
    for i in range(rounds):
        if not bad.any():
            break
        region = np.unique(tris[bad])
        # the flipped triangles' vertices and one ring around them
        ring = np.unique(tris[triangles_at(region)])
        weight[ring] *= 0.5
        out = geometric + weight[:, None] * diff
        if i + 1 < rounds:
            # only the triangles with a corner in the ring moved: the others keep their test
            touched = triangles_at(ring)
            bad[touched] = flipped(pts + out, touched)
    return out
