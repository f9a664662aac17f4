"""The network's torch modules: shapes, locality of the skinning mechanism, invariances."""

from __future__ import annotations

import pytest
import torch
from mesh_helpers import grid_face

from model.facs import ICT_NAMES
from model.regions import REGION_NAMES
from training.nn.diffusion import MeshTensors, heat_kernel_signature, spectral_diffusion
from training.nn.network import FaceSkinningNet, NetConfig


def tiny_config() -> NetConfig:
    return NetConfig(
        region_names=REGION_NAMES, expression_names=ICT_NAMES, width=16, depth=2,
        k_eig=24, id_dim=8, pool_dim=16, mask_hidden=16, dec_hidden=32,
    )  # fmt: skip


@pytest.fixture(scope="module")
def mesh() -> MeshTensors:
    from model.api import prepare_mesh

    v, t = grid_face()
    return FaceSkinningNet.mesh_input(prepare_mesh(v, t, k=24, cache=False), "cpu")


@pytest.fixture(scope="module")
def net() -> FaceSkinningNet:
    torch.manual_seed(0)
    return FaceSkinningNet(tiny_config()).eval()


def test_rig_shapes_and_dtypes(net, mesh):
    v = mesh.num_vertices
    with torch.no_grad():
        rig = net.rig(mesh)
        baked = net.bake(rig)
        codes = torch.rand(3, 53)
        decoded = net.decode(rig, codes)
        z = net.encode_expression(mesh, torch.zeros(4, v, 3))
    k = len(REGION_NAMES)
    assert rig["skin"].shape == (v, k) and rig["skin"].dtype == torch.float32
    assert torch.allclose(rig["skin"].sum(1), torch.ones(v), atol=1e-5)
    assert rig["mask"].shape == (v, 53) and float(rig["mask"].min()) >= 0 and float(rig["mask"].max()) <= 1
    assert rig["z_id"].shape == (8,)
    assert baked.shape == (53, v, 3)
    assert decoded.shape == (3, v, 3)
    assert z.shape == (4, 53)
    # decoding is linear in the code, so a code is the sum of its baked one-hot shapes
    assert torch.allclose(decoded, torch.einsum("bi,ivc->bvc", codes, baked), atol=1e-6)


def test_skin_weights_of_one_vertex_change_only_that_vertex_and_its_units(net, mesh):
    """Localization is the mechanism: a vertex's FACS units are gated by its own skin weights."""
    with torch.no_grad():
        rig = net.rig(mesh)
        skin = rig["skin"].clone()
        v0 = 100
        skin[v0] = 0
        skin[v0, (int(rig["skin"][v0].argmax()) + 5) % skin.shape[1]] = 1
        rig2 = net.rig(mesh, skin=skin)
        a, b = net.bake(rig), net.bake(rig2)
    changed = (a - b).abs().amax(dim=(0, 2)) > 0
    assert changed[v0]
    assert int(changed.sum()) == 1
    assert not torch.allclose(rig["mask"][v0], rig2["mask"][v0])
    # the gate is the mask: where the mask is zero the unit cannot move the vertex
    rig2["mask"][v0, 7] = 0
    assert float(net.bake(rig2)[7, v0].abs().max()) == 0.0


def test_spectral_diffusion_preserves_constants_and_smooths(mesh):
    v = mesh.num_vertices
    const = torch.ones(1, v, 1)
    out = spectral_diffusion(const, mesh, torch.tensor([0.05]))
    assert torch.allclose(out, const, atol=1e-3)
    noise = torch.randn(1, v, 1, generator=torch.Generator().manual_seed(0))
    smooth = spectral_diffusion(noise, mesh, torch.tensor([0.05]))
    assert float(smooth.std()) < 0.5 * float(noise.std())


def test_hks_is_mass_normalised(mesh):
    hks = heat_kernel_signature(mesh, (1e-2, 1e-1))
    assert hks.shape == (mesh.num_vertices, 2)
    mean = (mesh.mass[:, None] * torch.exp(hks)).sum(0) / mesh.mass.sum()
    assert torch.allclose(mean, torch.ones(2), atol=1e-4)


def test_outputs_do_not_depend_on_batch_composition(net, mesh):
    """Frames are independent: encoding a frame alone or among others gives the same code."""
    g = torch.Generator().manual_seed(1)
    disp = 0.01 * torch.randn(3, mesh.num_vertices, 3, generator=g)
    with torch.no_grad():
        together = net.encode_expression(mesh, disp)
        alone = net.encode_expression(mesh, disp[1:2])
    # the ridge least squares amplifies float rounding by its condition number (<= 1/ridge)
    assert torch.allclose(together[1:2], alone, rtol=1e-3, atol=1e-3 * float(alone.abs().max()))


def test_encoder_is_the_least_squares_inverse_of_the_bake(net, mesh):
    """The ridge code is optimal for its objective (no worse than the true weights), the boxed
    code is a valid FACS vector, and no motion gives a zero code."""
    with torch.no_grad():
        baked = net.bake(net.rig(mesh))
        w = torch.zeros(3, 53)
        w[0, 5] = 0.8
        w[1, [10, 26, 40]] = torch.tensor([0.3, 1.0, 0.5])
        disp = torch.einsum("bi,ivc->bvc", w, baked)
        analysis = net.analysis(mesh)
        ridge = net.encode_with(analysis, disp)
        boxed = net.encode_with(analysis, disp, box=True)
    _, gram, _, _ = analysis
    m = (mesh.mass / mesh.mass.sum())[None, :, None]

    def objective(code):
        fit = torch.einsum("bi,ivc->bvc", code, baked) - disp
        reg = net.config.ridge * gram.diagonal().mean()
        # gram already holds the ridge on its diagonal; recompute the plain objective
        return (fit**2 * m).sum((1, 2)) + reg * (code**2).sum(1)

    assert torch.all(objective(ridge) <= objective(w) + 1e-7)
    assert float(boxed.min()) >= 0.0 and float(boxed.max()) <= 1.0
    assert float(boxed[2].abs().max()) == 0.0
    assert float(ridge[2].abs().max()) == 0.0


def test_learned_encoder_shapes_and_frame_independence(net, mesh):
    """The learned encoder: (B, V, 3) canonical displacements -> (B, 53) codes; frames are
    encoded independently of the other frames in the batch; boxed codes are valid FACS weights."""
    g = torch.Generator().manual_seed(2)
    disp = 0.01 * torch.randn(3, mesh.num_vertices, 3, generator=g)
    with torch.no_grad():
        together = net.encode_learned(mesh, disp)
        alone = net.encode_learned(mesh, disp[2:3])
        boxed = net.encode_learned(mesh, disp, box=True)
    assert together.shape == (3, 53) and together.dtype == torch.float32
    assert torch.allclose(together[2:3], alone, rtol=1e-3, atol=1e-3 * float(alone.abs().max()))
    assert not torch.allclose(together[0], together[1])  # the code depends on the frame
    assert float(boxed.min()) >= 0.0 and float(boxed.max()) <= 1.0


def test_learned_encoder_ignores_the_trunk(mesh):
    """The encoder has its own parameters: perturbing the trunk leaves its codes unchanged."""
    torch.manual_seed(0)
    net = FaceSkinningNet(tiny_config()).eval()
    w = torch.zeros(2, 53)
    w[0, 7] = 0.6
    w[1, [3, 26, 44]] = torch.tensor([0.2, 0.9, 0.5])
    with torch.no_grad():
        disp = torch.einsum("bi,ivc->bvc", w, net.encoder_basis(mesh))
        before = net.encode_learned(mesh, disp)
        for p in net.trunk.parameters():
            p.add_(0.1)
        after = net.encode_learned(mesh, disp)
    torch.testing.assert_close(before, after)
    assert float((before - w).abs().max()) > 0  # (untrained: its basis is nearly collinear)


def test_solve_codes_recovers_weights_of_a_well_conditioned_basis():
    """The pooled solve reads back the weights of a frame built from the basis: nearly exactly
    with the small ridge, and boxed to [0, 1] (without L1) exactly for weights inside the box."""
    from training.nn.encoder import normal_equations, solve_codes

    g = torch.Generator().manual_seed(4)
    basis = torch.randn(53, 400, 3, generator=g, dtype=torch.float64)
    mass = torch.rand(400, generator=g, dtype=torch.float64) + 0.1
    w = torch.zeros(2, 53, dtype=torch.float64)
    w[0, 7] = 0.6
    w[1, [3, 26, 44]] = torch.tensor([0.2, 0.9, 0.5], dtype=torch.float64)
    disp = torch.einsum("bi,ivc->bvc", w, basis)
    analysis = normal_equations(basis, mass, 1e-6)
    torch.testing.assert_close(solve_codes(analysis, disp), w, atol=1e-4, rtol=0)
    torch.testing.assert_close(solve_codes(analysis, disp, box=True, iterations=500), w, atol=1e-3, rtol=0)
    # a joint fit by two bases: the same basis twice reads the same weights
    from training.nn.encoder import combine_normal_equations

    twice = combine_normal_equations(analysis, analysis)
    torch.testing.assert_close(solve_codes(twice, disp), w, atol=1e-4, rtol=0)
    shrunk = solve_codes(analysis, disp, box=True, l1=0.05)
    assert float(shrunk.min()) >= 0 and torch.all(shrunk[w > 0] < w[w > 0])


def test_normal_equations_are_surface_integrals():
    """Splitting a vertex into two with half its mass each (a refined mesh) or scaling every
    area leaves the encoder's normal equations unchanged."""
    from training.nn.encoder import normal_equations

    g = torch.Generator().manual_seed(3)
    basis = torch.randn(53, 80, 3, generator=g, dtype=torch.float64)
    mass = torch.rand(80, generator=g, dtype=torch.float64) + 0.1
    _, gram, _, _ = normal_equations(basis, mass, 1e-3)
    split_mass = torch.cat([mass, mass[:1] / 2])
    split_mass[0] /= 2
    _, split, _, _ = normal_equations(torch.cat([basis, basis[:, :1]], 1), split_mass, 1e-3)
    _, scaled, _, _ = normal_equations(basis, 7.0 * mass, 1e-3)
    torch.testing.assert_close(gram, split)
    torch.testing.assert_close(gram, scaled)


def test_trunk_and_encoder_parameters_are_disjoint(net):
    from training.loop import part_parameters

    trunk = {id(p) for p in part_parameters(net, "trunk")}
    enc = {id(p) for p in part_parameters(net, "encoder")}
    assert trunk and enc and not (trunk & enc)
    assert len(trunk) + len(enc) == len(list(net.parameters()))


def test_per_unit_l1_cost_keeps_small_units():
    """A unit with 1e-4 of the others' motion energy: a uniform L1 cost (power 0) zeroes it,
    a cost relative to its own energy (power 1) recovers its weight."""
    from training.nn.encoder import normal_equations, solve_codes

    g = torch.Generator().manual_seed(5)
    basis = torch.randn(53, 400, 3, generator=g, dtype=torch.float64)
    basis[10] *= 0.01  # motion energy 1e-4 of the others
    mass = torch.ones(400, dtype=torch.float64)
    w = torch.zeros(1, 53, dtype=torch.float64)
    w[0, 10], w[0, 26] = 0.8, 0.5
    disp = torch.einsum("bi,ivc->bvc", w, basis)
    analysis = normal_equations(basis, mass, 1e-3)
    uniform = solve_codes(analysis, disp, box=True, l1=0.01, l1_power=0.0)
    relative = solve_codes(analysis, disp, box=True, l1=0.01, l1_power=1.0)
    assert float(uniform[0, 10]) == 0.0
    # (L1 shrinks every weight a little: 0.8 -> 0.78 here)
    assert 0.7 < float(relative[0, 10]) <= 0.8 and 0.45 < float(relative[0, 26]) <= 0.5
