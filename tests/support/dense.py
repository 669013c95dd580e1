"""Dense reference implementations: every network model by its textbook definition.

These build ``n x n`` matrices, so they are for small graphs: the toy networks, subsets such as
one genre's manga, and the tests that prove the scalable forms in :mod:`.network`,
:mod:`.laplacian` and :mod:`.indirect` exact. They follow the definitions literally and share
no algebra with the scalable forms, which is what makes them a reference.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from sitegen.models.base import Model
from sitegen.models.indirect import nd_scale
from sitegen.sources.catalogue import Catalogue, build_catalogue

if TYPE_CHECKING:
    from typing import Self

log = logging.getLogger(__name__)

#: Largest graph the dense models accept: 5,000 manga take 200 MB per float64 matrix.
DENSE_MAX = 5000


def adjacency(b: sp.spmatrix | np.ndarray) -> np.ndarray:
    """Manga-manga network ``A = B B^T`` with a zero diagonal, shape (n, n)."""
    b = b.toarray() if sp.issparse(b) else np.asarray(b, dtype=float)
    a = b @ b.T
    np.fill_diagonal(a, 0.0)
    return a


def normalized_adjacency(a: np.ndarray) -> np.ndarray:
    """``D^-1/2 A D^-1/2``; isolated nodes keep zero rows."""
    deg = a.sum(axis=1)
    s = np.divide(1.0, np.sqrt(deg), out=np.zeros_like(deg), where=deg > 0)
    return s[:, None] * a * s[None, :]


def normalized_laplacian(a: np.ndarray) -> np.ndarray:
    """``I - D^-1/2 A D^-1/2`` with a zero diagonal entry for isolated nodes (as scipy's csgraph)."""
    lap = -normalized_adjacency(a)
    np.fill_diagonal(lap, (a.sum(axis=1) > 0).astype(float))
    return lap


def laplacian_rows(a: np.ndarray, metric: str) -> np.ndarray:
    """Distances between rows of the normalized Laplacian itself, shape (n, n): not a model.

    This is the literal reading of "the normalized Laplacian compared by euclidean distance or
    cosine", and it ranks backwards. With ``N`` the normalized adjacency and ``l_i`` the rows of
    ``L = I - N`` of two manga with links, ``|l_i - l_j|^2 = 2 + 4 N_ij + |n_i - n_j|^2`` and
    ``l_i . l_j = (N^2)_ij - 2 N_ij``: the Laplacian's unit diagonal turns a direct link (a
    shared tag) into *more* distance, so the nearest rows belong to manga that share no tag with
    this one. :mod:`sitegen.models.laplacian` compares manga through ``L``'s pseudo-inverse
    instead (commute times); this function stays to document why.

    Parameters
    ----------
    a : ndarray, shape (n, n)
        Adjacency with a zero diagonal.
    metric : str
        ``"euclidean"`` or ``"cosine"``.
    """
    return row_distances(normalized_laplacian(a), metric)


def commute_distances(a: np.ndarray, metric: str, rcond: float = 1e-10) -> np.ndarray:
    """Commute-time reading of the normalized Laplacian by its pseudo-inverse, shape (n, n).

    With ``P = pinv(L)`` (eigenvalues of ``L`` below ``rcond`` times the largest count as zero):
    ``"euclidean"`` gives the normalized commute time ``P_ii + P_jj - 2 P_ij`` (the *squared*
    distance between rows of ``P^1/2``), ``"cosine"`` gives ``1 - P_ij / sqrt(P_ii P_jj)``.
    Pairs with no path between them (different components, or an isolated manga) are ``inf``:
    their commute time is infinite, and the cosine of an isolated manga is ``0 / 0``.

    Parameters
    ----------
    a : ndarray, shape (n, n)
        Adjacency with a zero diagonal.
    metric : str
        ``"euclidean"`` or ``"cosine"``.
    """
    from scipy.sparse.csgraph import connected_components

    pinv = np.linalg.pinv(normalized_laplacian(a), rcond=rcond, hermitian=True)
    diag = np.diag(pinv)
    linked = a.sum(axis=1) > 0
    if metric == "cosine":
        s = np.sqrt(np.where(linked, diag, 1.0))
        out = 1.0 - pinv / s[:, None] / s[None, :]
    else:
        out = diag[:, None] + diag[None, :] - 2.0 * pinv
    labels = connected_components(sp.csr_matrix(a > 0), directed=False)[1]
    apart = (labels[:, None] != labels[None, :]) | ~linked[:, None] | ~linked[None, :]
    out[apart] = np.inf
    np.fill_diagonal(out, 0.0)
    return out


def row_distances(x: np.ndarray, metric: str) -> np.ndarray:
    """Distances between all rows of ``x``, shape (n, n): ``"cosine"`` (zero rows at 1) or euclidean."""
    if metric == "cosine":
        norms = np.linalg.norm(x, axis=1)
        unit = x / np.where(norms > 0, norms, 1.0)[:, None]
        return 1.0 - unit @ unit.T
    sq = np.einsum("ij,ij->i", x, x)
    return np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * (x @ x.T), 0.0))


def spectral_vectors(a: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenpairs of ``D^-1/2 A D^-1/2`` with positive eigenvalue (full eigh)."""
    vals, vecs = np.linalg.eigh(normalized_adjacency(a))
    order = np.argsort(vals)[::-1][:k]
    order = order[vals[order] > 1e-12 * max(vals.max(), 1e-300)]
    return vals[order], vecs[:, order]


def _finish(g: np.ndarray) -> np.ndarray:
    """The write-up's last steps: zero diagonal, clip negatives, rescale to a maximum of 1.

    A graph with no positive entry left stays all zero instead of dividing by zero.
    """
    np.fill_diagonal(g, 0.0)
    np.maximum(g, 0.0, out=g)
    top = g.max(initial=0.0)
    return g / top if top > 0 else g


def deconvolve(g: np.ndarray, *, scale: float = 1.0, pole_tol: float = 1e-9) -> np.ndarray:
    """Network deconvolution ``G_dir = G (I + G)^-1`` of ``G = scale * g``, then :func:`_finish`.

    Parameters
    ----------
    g : ndarray, shape (n, n)
        Symmetric observed network.
    scale : float
        Multiplies ``g`` first; :func:`nd_scale` gives Feizi et al.'s choice. 1 uses ``g`` as
        given, as the write-up's toys do.
    pole_tol : float
        Eigenvalues within ``pole_tol * max(1, |lambda|_max)`` of -1 make ``I + G`` singular;
        there the identity ``G_dir = I - (I + G)^-1`` is taken with the Moore-Penrose
        pseudo-inverse, which gives those directions a direct eigenvalue of 1.

    Returns
    -------
    ndarray, shape (n, n)
        Non-negative, zero diagonal, maximum 1 (or all zero).
    """
    g = scale * np.asarray(g, dtype=float)
    n = len(g)
    shifted = np.eye(n) + g
    # Cholesky succeeds exactly when every eigenvalue of G exceeds -1; well conditioned, no
    # eigenvalue is near the pole and the plain inverse is the answer.
    factor, info = la.lapack.dpotrf(shifted, lower=1)
    if info == 0:
        rcond, _ = la.lapack.dpocon(factor, np.abs(shifted).sum(axis=0).max(), uplo="L")
        info = 0 if rcond > pole_tol else 1
    if info == 0:
        inv, info = la.lapack.dpotri(factor, lower=1)
    if info == 0:
        direct = np.eye(n) - (np.tril(inv) + np.tril(inv, -1).T)
    else:
        vals, vecs = la.eigh(g)
        gap = 1.0 + vals
        pole = np.abs(gap) <= pole_tol * max(1.0, np.abs(vals).max())
        if pole.any():
            log.info("deconvolution: %d eigenvalue(s) at -1, pseudo-inverse used", int(pole.sum()))
        lam_dir = np.where(pole, 1.0, vals / np.where(pole, 1.0, gap))
        direct = (vecs * lam_dir) @ vecs.T
    return _finish(direct)


def top_eigenvalue(g: np.ndarray) -> float:
    """Largest eigenvalue of a symmetric ``g`` (Lanczos on the dense matrix, to machine precision)."""
    from scipy.sparse.linalg import eigsh

    n = len(g)
    if n < 3 or not g.any():
        return float(la.eigvalsh(g)[-1]) if n else 0.0
    return float(eigsh(g, k=1, which="LA", v0=np.ones(n), tol=0)[0][0])


def pseudo_inverse(g: np.ndarray, rcond: float = 1e-10) -> np.ndarray:
    """Inverse of a symmetric ``g``, or its Moore-Penrose pseudo-inverse when (numerically) singular.

    An LU factorization with LAPACK's condition estimate decides; eigenvalues below
    ``rcond * |lambda|_max`` count as zero in the pseudo-inverse.
    """
    n = len(g)
    lu, piv, info = la.lapack.dgetrf(g)
    if info == 0:
        rc, _ = la.lapack.dgecon(lu, np.abs(g).sum(axis=0).max(), norm="1")
        if rc > rcond:
            return la.lu_solve((lu, piv), np.eye(n))
    vals, vecs = la.eigh(g)
    keep = np.abs(vals) > rcond * max(np.abs(vals).max(initial=0.0), 1e-300)
    log.info("silencing: G singular, pseudo-inverse drops %d direction(s)", n - int(keep.sum()))
    return (vecs[:, keep] / vals[keep]) @ vecs[:, keep].T


def silence(g: np.ndarray, *, rcond: float = 1e-10) -> np.ndarray:
    """Global silencing ``S = (G - I + D((G - I) G)) G^-1``, then :func:`_finish`.

    ``D`` keeps only the diagonal. A singular ``G`` is inverted in the Moore-Penrose sense
    (:func:`pseudo_inverse`), as the write-up does with a pseudo-inverse SVD.

    Parameters
    ----------
    g : ndarray, shape (n, n)
        Symmetric observed network.

    Returns
    -------
    ndarray, shape (n, n)
    """
    g = np.asarray(g, dtype=float)
    eye = np.eye(len(g))
    diag = np.einsum("ij,ji->i", g - eye, g)
    return _finish((g - eye + np.diag(diag)) @ pseudo_inverse(g, rcond))


def tie_aware_recall(found: np.ndarray, reference: np.ndarray, k: int, tol: float = 2.0**-15) -> float:
    """Share of found neighbours that are truly among the ``k`` nearest, ties interchangeable.

    A found neighbour counts when its reference distance is at most the reference ``k``-th
    nearest distance plus ``tol``, so any member of a tie at the boundary is as good as another.

    Parameters
    ----------
    found : ndarray of int, shape (n, k)
        Neighbours under test (self excluded).
    reference : ndarray, shape (n, n)
        Dense reference distances.
    """
    ref = np.array(reference, dtype=np.float64)
    n = len(ref)
    np.fill_diagonal(ref, np.inf)
    kth = np.partition(ref, k - 1, axis=1)[:, k - 1]
    got = np.take_along_axis(ref, found[:, :k].astype(np.intp), axis=1)
    return float((got <= kth[:, None] + tol).sum() / (n * k))


def genre_subset(catalogue: Catalogue, tag_name: str) -> Catalogue:
    """The manga carrying the tag named ``tag_name``, as a catalogue of their own."""
    tag = next((t for t in catalogue.tags if t.name == tag_name), None)
    if tag is None:
        raise ValueError(f"no tag named {tag_name!r} in the catalogue")
    vocabulary = {t.id: t for t in catalogue.tags}
    chosen = [m for m in catalogue.manga if tag.id in m.tag_ids]
    return build_catalogue(chosen, vocabulary, synthetic=catalogue.synthetic, source=catalogue.source)


class DenseIndirect(Model):
    """Deconvolution or silencing of a small catalogue by the dense definitions.

    For subsets (one genre's manga) and as the reference for the scalable models: the distance
    from ``i`` to ``j`` is ``1 - S_ij`` with ``S`` the finished network (maximum 1).

    Parameters
    ----------
    method : str
        ``"deconvolution"`` or ``"silencing"``.
    beta : float
        Deconvolution only: Feizi et al.'s scale, as in :class:`~.indirect.Deconvolution`.
    """

    name = "dense_indirect"
    label = "Dense indirect-effect removal"
    metric = "custom"
    summary = "deconvolution or silencing by the dense definition, small catalogues only"
    methods: ClassVar[tuple[str, ...]] = ("deconvolution", "silencing")

    def __init__(self, method: str = "deconvolution", beta: float = 0.9, *, seed: int = 0) -> None:
        super().__init__(seed=seed)
        self.method = method
        self.beta = beta

    def fit(self, catalogue: Catalogue) -> Self:
        if self.method not in self.methods:
            raise ValueError(f"method must be one of {self.methods}, got {self.method!r}")
        if len(catalogue) > DENSE_MAX:
            raise ValueError(f"dense models take at most {DENSE_MAX} manga, got {len(catalogue)}")
        b = sp.csr_matrix(catalogue.matrix, dtype=np.float64)
        a = adjacency(b)
        if self.method == "silencing":
            self.network_ = silence(a)
        else:
            # the scalable model's scale: exact top eigenvalue, lambda_min bounded by -max d
            self.scale_ = nd_scale(top_eigenvalue(a), -float(b.multiply(b).sum(axis=1).max()), self.beta)
            self.network_ = deconvolve(a, scale=self.scale_)
        self.embedding_ = self.network_.astype(np.float32)
        return self

    def distances(self, rows: np.ndarray, cols=None, *, twin_diagonal: bool = False) -> np.ndarray:
        out = (1.0 - self.network_[np.asarray(rows)]).astype(np.float32)
        out[np.arange(len(rows)), rows] = 0
        return out if cols is None else out[:, cols]
