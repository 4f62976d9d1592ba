"""``theano.tensor.nnet.ctc``: the connectionist temporal classification loss (Theano 1.0's ``ctc``).

``ctc(activations, labels, input_lengths)`` is the vector of ``-log p(labels[b] | activations[:, b])``
over the minibatch, as Theano 1.0's wrapper of Baidu's warp-ctc defined it:

* ``activations``: ``(time, batch, alphabet)`` unnormalised scores; the probabilities are their
  softmax over the alphabet, taken inside (do not apply one yourself). Symbol 0 is the blank.
* ``labels``: ``(batch, max_label_length)`` integers, each row a label sequence of symbols
  ``1 .. alphabet - 1`` padded with ``-1`` (any negative entry is padding and skipped, wherever it
  is, as Theano's wrapper read them).
* ``input_lengths``: ``(batch,)`` integers, the number of time steps of each sequence (at most
  ``time``; the steps after it are ignored and get a zero gradient).

The probability of a label sequence is the sum over every alignment of ``input_lengths[b]``
symbols that collapses to it (repeats merged, then blanks removed), computed by the
forward-backward recursions over the label with a blank between symbols, in log space (float64
inside; the costs are returned in the activations' dtype). The gradient with respect to the
activations is ``softmax(activations) - occupancy`` per time step, scaled by the cost's output
gradient -- the same as warp-ctc's. A label that no alignment reaches (too long for its input,
counting a blank between repeated symbols) costs ``inf``; its gradient is zero (the probability
is 0 whatever the activations), as PyTorch's ``zero_infinity`` gives it.

Differences from Theano 1.0: no warp-ctc library is needed (``ctc_enabled`` is always True);
float64 activations and any integer dtype for the labels and lengths are accepted where Theano
required float32 and int32; a symbol outside ``1 .. alphabet - 1`` (the blank 0 included) or a
length outside ``0 .. time`` is a ``ValueError`` naming the sequence (warp-ctc's results were
undefined there). Theano 1.0's own test (``test_ctc.py``, skipped wherever warp-ctc was not
installed) expects 3.03655 for a sequence of length 1 whose three time steps are all zeros with
the label ``[1]``: that is the cost of all three steps; the cost of the one step its length
gives, and warp-ctc's own tutorial's value for that sequence alone, is ``-log 0.2 = 1.60944``,
which ``ctc`` returns (its other two sequences' costs, 7.35574 and 4.93884, it gives as well).
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .....core.errors import format_trace, user_trace
from .....core.graph import Apply, Variable
from .....core.op import Op
from .....core.types import TensorType, is_int
from .....core.variable import TensorVariable, as_tensor_variable

__all__ = ["ctc", "ctc_enabled", "ConnectionistTemporalClassification", "ConnectionistTemporalClassificationGrad"]

ctc_enabled = True  # Theano's flag: the loss is always available here (no warp-ctc needed)


def _inputs(activations: Any, labels: Any, input_lengths: Any) -> Tuple[TensorVariable, ...]:
    a, l, n = (as_tensor_variable(v) for v in (activations, labels, input_lengths))
    where = format_trace(user_trace())
    if a.ndim != 3 or not str(a.dtype).startswith("float"):
        raise TypeError(f"ctc: activations must be a float tensor of (time, batch, alphabet), got {a.type} (at {where})")
    if l.ndim != 2 or not is_int(l.dtype):
        raise TypeError(f"ctc: labels must be an integer matrix of (batch, max_label_length) padded with -1, "
                        f"got {l.type} (at {where})")
    if n.ndim != 1 or not is_int(n.dtype):
        raise TypeError(f"ctc: input_lengths must be an integer vector of (batch,), got {n.type} (at {where})")
    return a, l, n


def _extended(labels: np.ndarray, lengths: np.ndarray, shape: Tuple[int, int, int]) -> Tuple[np.ndarray, ...]:
    """Check the labels and lengths against ``(time, batch, alphabet)``; return the labels with a blank
    before, between and after the symbols ``(batch, 2 * max_len + 1)``, each row's number of states
    and the skip mask (state s may be entered from s - 2: a symbol unlike the one two states back)."""
    t_max, batch, alphabet = shape
    labels, lengths = np.asarray(labels), np.asarray(lengths)
    if labels.shape[0] != batch or lengths.shape[0] != batch:
        raise ValueError(f"ctc: activations hold {batch} sequences, labels {labels.shape[0]} and input_lengths "
                         f"{lengths.shape[0]}")
    width = labels.shape[1]
    symbols = np.zeros((batch, width), dtype=np.int64)
    n_symbols = np.zeros(batch, dtype=np.int64)
    for b in range(batch):
        row = labels[b][labels[b] >= 0]  # negative entries are padding, wherever they are (Theano's wrapper)
        if ((row < 1) | (row >= alphabet)).any():
            raise ValueError(f"ctc: labels[{b}] = {labels[b].tolist()}: symbols must be 1 .. {alphabet - 1} (0 is the "
                             f"blank; the alphabet has {alphabet} entries; negative entries are padding)")
        if not 0 <= int(lengths[b]) <= t_max:
            raise ValueError(f"ctc: input_lengths[{b}] = {int(lengths[b])}, must be 0 .. {t_max} (the activations' "
                             "time steps)")
        symbols[b, :row.size] = row
        n_symbols[b] = row.size
    ext = np.zeros((batch, 2 * width + 1), dtype=np.int64)
    ext[:, 1::2] = symbols
    states = 2 * n_symbols + 1
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != 0) & (ext[:, 2:] != ext[:, :-2])
    return ext, states.astype(np.int64), skip, lengths.astype(np.int64)


def _log_softmax(xp: Any, a: Any) -> Any:
    a = a.astype("float64")
    shifted = a - a.max(axis=2, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=2, keepdims=True))


def _shift(xp: Any, v: Any, k: int, fill: float) -> Any:
    """``v`` moved ``k`` states along the last axis (towards higher states for k > 0), ``fill`` entering."""
    out = xp.full(v.shape, fill)
    if k > 0:
        out[:, k:] = v[:, :-k]
    else:
        out[:, :k] = v[:, -k:]
    return out


def _forward_backward(xp: Any, activations: Any, labels: Any, lengths: Any, with_beta: bool) -> Tuple[Any, ...]:
    """``(log p, log y, emit, log alpha, log beta, extended labels, lengths)``: each sequence's log
    probability, the log-softmax, each state's log emission per step, the forward and backward
    variables ``(time, batch, states)`` in log space (beta None without ``with_beta``), and the
    checked labels and lengths as :func:`_extended` gives them."""
    t_max, batch, _ = activations.shape
    ext, states, skip, lengths = _extended(labels, lengths, activations.shape)
    n_states = ext.shape[1]
    logy = _log_softmax(xp, activations)
    emit = logy[:, xp.asarray(np.arange(batch)[:, None]), xp.asarray(ext)]  # (time, batch, states)
    valid = xp.asarray(np.arange(n_states)[None, :] < states[:, None])
    skip_d = xp.asarray(skip)
    ninf = -np.inf
    alpha = xp.full((t_max, batch, n_states), ninf)
    if t_max:
        start = xp.full((batch, n_states), ninf)
        start[:, :2] = emit[0, :, :2]
        alpha[0] = xp.where(valid, start, ninf)
        for t in range(1, t_max):
            prev = alpha[t - 1]
            into = xp.logaddexp(prev, _shift(xp, prev, 1, ninf))
            into = xp.logaddexp(into, xp.where(skip_d, _shift(xp, prev, 2, ninf), ninf))
            alpha[t] = xp.where(valid, into + emit[t], ninf)
    last = np.maximum(lengths - 1, 0)
    rows = np.arange(batch)
    final = alpha[xp.asarray(last), xp.asarray(rows)]  # (batch, states): alpha at each sequence's last step
    idx_end = xp.asarray(states - 1)
    end = final[xp.asarray(rows), idx_end]
    before = xp.where(xp.asarray(states >= 2), final[xp.asarray(rows), xp.asarray(np.maximum(states - 2, 0))], ninf)
    logp = xp.logaddexp(end, before)
    empty_input = xp.asarray(lengths == 0)
    logp = xp.where(empty_input, xp.where(xp.asarray(states == 1), 0.0, ninf), logp)
    beta = None
    if with_beta and t_max:
        beta = xp.full((t_max, batch, n_states), ninf)
        state_idx = np.arange(n_states)[None, :]
        tail = xp.asarray((state_idx == states[:, None] - 1) | (state_idx == states[:, None] - 2))
        lengths_d = xp.asarray(lengths)[:, None]
        nxt = xp.full((batch, n_states), ninf)
        for t in range(t_max - 1, -1, -1):
            out = xp.logaddexp(nxt, _shift(xp, nxt, -1, ninf))
            out = xp.logaddexp(out, xp.where(_shift(xp, skip_d, -2, False), _shift(xp, nxt, -2, ninf), ninf))
            here = xp.where(lengths_d - 1 == t, xp.where(tail, 0.0, ninf), out)  # a sequence's last step starts it
            here = xp.where((lengths_d - 1 >= t) & valid, here + emit[t], ninf)
            beta[t] = here
            nxt = here
    return logp, logy, emit, alpha, beta, ext, lengths


class ConnectionistTemporalClassification(Op):
    """``ctc(activations, labels, input_lengths)``'s node: the costs ``(batch,)`` (see the module)."""
    complex_grad = False  # real activations only

    __props__ = ()
    name = "ctc"

    def make_node(self, activations: Any, labels: Any, input_lengths: Any) -> Apply:
        a, l, n = _inputs(activations, labels, input_lengths)
        return Apply(self, [a, l, n], [TensorType(a.dtype, (a.type.shape[1],))])

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({1, 2})  # the labels and lengths are read on the host

    def impl(self, xp: Any, activations: Any, labels: Any, input_lengths: Any) -> Any:
        logp = _forward_backward(xp, activations, labels, input_lengths, with_beta=False)[0]
        return (-logp).astype(activations.dtype)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [(input_shapes[0][1],)]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        g = output_grads[0]
        if g is None:
            return [None, None, None]
        a, l, n = node.inputs
        return [ConnectionistTemporalClassificationGrad()(a, l, n) * g.dimshuffle("x", 0, "x"), None, None]


class ConnectionistTemporalClassificationGrad(Op):
    """The gradient of each sequence's cost with respect to the activations, ``(time, batch, alphabet)``:
    ``softmax(activations) - occupancy`` up to each sequence's length, zero after it and for a label
    no alignment reaches."""
    complex_grad = False  # real activations only

    __props__ = ()
    name = "ctc_grad"

    def make_node(self, activations: Any, labels: Any, input_lengths: Any) -> Apply:
        a, l, n = _inputs(activations, labels, input_lengths)
        return Apply(self, [a, l, n], [TensorType(a.dtype, a.type.shape)])

    def host_int_inputs(self, node: Apply) -> frozenset:
        return frozenset({1, 2})

    def impl(self, xp: Any, activations: Any, labels: Any, input_lengths: Any) -> Any:
        t_max, batch, alphabet = activations.shape
        if t_max == 0 or batch == 0:
            return xp.zeros(activations.shape, dtype=activations.dtype)
        logp, logy, emit, alpha, beta, ext, lengths = _forward_backward(xp, activations, labels, input_lengths,
                                                                         with_beta=True)
        reachable = xp.isfinite(logp)
        safe = xp.where(reachable, logp, 0.0)
        with np.errstate(invalid="ignore"):
            occupancy = xp.exp(alpha + beta - emit - safe[None, :, None])  # (time, batch, states)
        occupancy = xp.where(xp.isnan(occupancy), 0.0, occupancy)
        onehot = xp.asarray(np.eye(alphabet)[ext])  # (batch, states, alphabet)
        per_symbol = xp.einsum("tbs,bsp->tbp", occupancy, onehot)
        live = xp.asarray(np.arange(t_max)[:, None] < lengths[None, :])[:, :, None] & reachable[None, :, None]
        grad = xp.where(live, xp.exp(logy) - per_symbol, 0.0)
        return grad.astype(activations.dtype)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Tuple[Any, ...]]) -> List[Tuple[Any, ...]]:
        return [tuple(input_shapes[0])]

    def grad(self, node: Apply, output_grads: Sequence[Optional[Variable]]) -> List[Optional[Variable]]:
        from .....core.grad import GradientError

        raise GradientError(f"ctc: no second derivative (the gradient of ctc_grad is not implemented; node built at "
                            f"{format_trace(node.trace)})")


def ctc(activations: Any, labels: Any, input_lengths: Any) -> TensorVariable:
    """The CTC cost of each sequence of the minibatch (see the module's docstring)."""
    return ConnectionistTemporalClassification()(activations, labels, input_lengths)
