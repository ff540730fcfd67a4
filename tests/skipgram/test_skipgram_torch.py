"""The torch skip-gram kernels against independent answers: the SGD update
against torch.autograd's gradient of the SGNS loss, subsampling and
windows against their definitions, negatives against the alias table's
weights."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

torch = pytest.importorskip("torch")

from skgraphemb.skipgram import _sgns  # noqa: E402
from skgraphemb.skipgram import _torch_kernels as kt  # noqa: E402

# Kernels are called directly here, outside the drivers that set torch's
# threads from n_jobs.
pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("one_torch_thread")]


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


def _batch(seed=0, n_nodes=7, d=6, B=5, C=4, K=3):
    """A batch with repeated nodes (7 nodes, 20 context slots), padding,
    and one negative equal to its centre."""
    rng = np.random.default_rng(seed)
    syn0 = torch.tensor(rng.normal(0, 0.5, (n_nodes, d)), dtype=torch.float32)
    syn1 = torch.tensor(rng.normal(0, 0.5, (n_nodes, d)), dtype=torch.float32)
    contexts = torch.tensor(rng.integers(0, n_nodes, (B, C)))
    mask = torch.tensor(rng.random((B, C)) < 0.8)
    mask[:, 0] = True
    contexts[~mask] = 0
    targets = torch.tensor(rng.integers(0, n_nodes, (B, K + 1)))
    targets[2, 1] = targets[2, 0]  # a negative equal to its centre
    live = targets != targets[:, :1]
    live[:, 0] = True
    lr = torch.tensor(rng.uniform(0.05, 0.5, B), dtype=torch.float32)
    return syn0, syn1, contexts, mask, targets, live, lr


def _autograd_step(syn0, syn1, contexts, mask, targets, live, lr):
    """Loss and per-row gradients of sum_i lr_i * loss_i by autograd."""
    a = syn0.clone().double().requires_grad_()
    b = syn1.clone().double().requires_grad_()
    total = 0.0
    plain = 0.0
    for i in range(contexts.shape[0]):
        for j in range(contexts.shape[1]):
            if not mask[i, j]:
                continue
            for k in range(targets.shape[1]):
                if not live[i, k]:
                    continue
                s = a[contexts[i, j]] @ b[targets[i, k]]
                term = -torch.nn.functional.logsigmoid(s if k == 0 else -s)
                total = total + lr[i].double() * term
                plain = plain + term.detach()
    total.backward()
    return float(plain), a.grad.float(), b.grad.float()


def test_sgns_update_is_an_sgd_step_on_the_sgns_loss():
    syn0, syn1, contexts, mask, targets, live, lr = _batch()
    loss_ref, g0, g1 = _autograd_step(syn0, syn1, contexts, mask, targets, live, lr)
    new0, new1 = syn0.clone(), syn1.clone()
    loss = kt.sgns_update(new0, new1, contexts, mask, targets, live, lr)
    assert float(loss) == pytest.approx(loss_ref, rel=1e-5)
    torch.testing.assert_close(new0, syn0 - g0, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(new1, syn1 - g1, rtol=1e-5, atol=1e-6)
    assert (g0.abs().sum(1) > 0).sum() >= 4  # several rows moved, some repeatedly


def test_row_cap_scales_the_sum_of_frequent_rows():
    syn0, syn1, contexts, mask, targets, live, lr = _batch(seed=1)
    _, g0, g1 = _autograd_step(syn0, syn1, contexts, mask, targets, live, lr)
    # (context, target) pairs each row takes part in, counted pair by pair.
    n_in, n_out = torch.zeros(7), torch.zeros(7)
    for i in range(contexts.shape[0]):
        for j in range(contexts.shape[1]):
            for k in range(targets.shape[1]):
                if mask[i, j] and live[i, k]:
                    n_in[contexts[i, j]] += 1
                    n_out[targets[i, k]] += 1
    cap = 6.0
    assert (n_in > cap).any() and (n_out > cap).any() and ((n_in > 0) & (n_in <= cap)).any()
    counts = torch.zeros(7)
    new0, new1 = syn0.clone(), syn1.clone()
    kt.sgns_update(new0, new1, contexts, mask, targets, live, lr, cap=cap, counts=counts)
    scale_in = (cap / n_in.clamp(min=1)).clamp(max=1).unsqueeze(1)
    scale_out = (cap / n_out.clamp(min=1)).clamp(max=1).unsqueeze(1)
    torch.testing.assert_close(new0, syn0 - scale_in * g0, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(new1, syn1 - scale_out * g1, rtol=1e-5, atol=1e-6)
    assert (counts == 0).all()  # the scratch is clean for the next batch


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_scatter_add_sums_repeated_rows_the_same_on_every_run(device, request):
    """Many updates of a few rows: the float64 sums to float32 rounding,
    and bitwise the same sums on every run in the deterministic mode (GPU
    atomics would add them in a varying order)."""
    if device == "cuda":
        device = request.getfixturevalue("cuda")
    rng = np.random.default_rng(0)
    rows = torch.tensor(rng.integers(0, 5, 200_000), device=device)
    updates = torch.tensor(rng.normal(size=(200_000, 8)), dtype=torch.float32, device=device)
    expected = np.zeros((5, 8))
    np.add.at(expected, rows.cpu().numpy(), updates.cpu().numpy().astype(np.float64))
    sums = []
    for deterministic in (True, True, True, False):
        table = torch.zeros(5, 8, device=device)
        kt.scatter_add(table, rows, updates, deterministic)
        np.testing.assert_allclose(table.cpu().numpy(), expected, rtol=1e-4, atol=1e-3)
        sums.append(table.cpu().numpy())
    np.testing.assert_array_equal(sums[1], sums[0])
    np.testing.assert_array_equal(sums[2], sums[0])
    if device == "cpu":  # index_add_ is ordered on the CPU: one answer for both modes
        np.testing.assert_array_equal(sums[3], sums[0])


@pytest.mark.gpu
@pytest.mark.parametrize("cap", [None, 6.0])
def test_sgns_update_on_a_gpu_is_the_same_sgd_step(cuda, cap):
    """The CUDA kernels (bmm, index_add_ with atomics) take the autograd step too."""
    syn0, syn1, contexts, mask, targets, live, lr = _batch(seed=1)
    _, g0, g1 = _autograd_step(syn0, syn1, contexts, mask, targets, live, lr)
    expected0, expected1 = syn0.clone(), syn1.clone()
    kt.sgns_update(expected0, expected1, contexts, mask, targets, live, lr, cap=cap, counts=torch.zeros(7))
    if cap is None:
        torch.testing.assert_close(expected0, syn0 - g0, rtol=1e-5, atol=1e-6)
    on = [t.to(cuda) for t in (syn0, syn1, contexts, mask, targets, live, lr)]
    counts = torch.zeros(7, device=cuda)
    loss = kt.sgns_update(*on, cap=cap, counts=counts)
    assert on[0].is_cuda and torch.isfinite(loss)
    torch.testing.assert_close(on[0].cpu(), expected0, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(on[1].cpu(), expected1, rtol=1e-5, atol=1e-6)
    assert (counts == 0).all()


def test_subsample_keeps_order_and_rates():
    n, L = 6, 40
    rng = np.random.default_rng(0)
    walks = torch.tensor(rng.integers(0, n, (3000, L)))
    walks[::5, 30:] = -1  # ended walks
    walks[::7, 10] = -1  # a -1 ends the walk: later tokens do not count
    keep_prob = np.array([1.0, 0.5, 0.0, 0.25, 1.0, 0.9])
    keep = torch.tensor(np.round(keep_prob * 2.0**32).astype(np.int64))
    sentences, lengths = kt.subsample(walks, keep, _generator())
    kept, valid = np.zeros(n), np.zeros(n)
    for w, s, m in zip(walks.numpy(), sentences.numpy(), lengths.numpy(), strict=True):
        ended = np.flatnonzero(w < 0)
        w = w[: ended[0]] if len(ended) else w
        assert (s[m:] == -1).all() and (s[:m] >= 0).all()
        # A subsequence of the walk, in order.
        it = iter(w.tolist())
        assert all(any(x == y for y in it) for x in s[:m].tolist())
        kept += np.bincount(s[:m], minlength=n)
        valid += np.bincount(w, minlength=n)
    assert kept[2] == 0 and kept[0] == valid[0] and kept[4] == valid[4]
    for v in (1, 3, 5):
        assert stats.binomtest(int(kept[v]), int(valid[v]), keep_prob[v]).pvalue > 1e-4


def test_window_groups_are_the_word2vec_windows():
    window, L = 4, 9
    # Every token is distinct, so a context names its position.
    sentences = torch.arange(5 * L).reshape(5, L)
    lengths = torch.tensor([9, 9, 5, 1, 0])
    for r, m in enumerate(lengths.tolist()):
        sentences[r, m:] = -1
    seen_b = []
    seen_rank = []
    for centres, ctx, mask, rank in kt.window_groups(sentences, lengths, window, _generator()):
        b = ctx.shape[1] // 2
        seen_b += [b] * len(centres)
        seen_rank += rank.tolist()
        for c, row, ok in zip(centres.tolist(), ctx.tolist(), mask.tolist(), strict=True):
            r, i = divmod(c, L)
            expected = [r * L + j for j in range(i - b, i + b + 1) if j != i and 0 <= j < lengths[r]]
            assert [x for x, o in zip(row, ok, strict=True) if o] == expected
    # Each centre once, ranks in sentence order 0 .. n-1.
    assert sorted(seen_rank) == list(range(int(lengths.sum())))
    # b is uniform on 1..window (over 20,000 centres).
    counts = np.zeros(window + 1)
    big = torch.zeros(400, 50, dtype=torch.int64)
    for centres, ctx, _, _ in kt.window_groups(big, torch.full((400,), 50), window, _generator(1)):
        counts[ctx.shape[1] // 2] += len(centres)
    assert counts[0] == 0 and counts.sum() == 20_000
    assert stats.chisquare(counts[1:]).pvalue > 1e-4


def test_negatives_follow_the_alias_table():
    weights = np.array([0.0, 1.0, 5.0, 0.5, 2.0, 0.0, 8.0])
    threshold, alias = _sgns.alias_table(weights)
    draws = kt.draw_negatives(
        20_000, 5, torch.tensor(threshold.astype(np.int64)), torch.tensor(alias.astype(np.int64)), _generator()
    )
    assert draws.shape == (20_000, 5)
    counts = np.bincount(draws.ravel().numpy(), minlength=7)
    assert counts[0] == counts[5] == 0
    seen = weights > 0
    assert stats.chisquare(counts[seen], counts.sum() * weights[seen] / weights.sum()).pvalue > 1e-4
