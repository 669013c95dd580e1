"""The write-up's toy networks, deconvolved and silenced, kept for the methods page's figures.

Three small symmetric networks show how the two ways of removing indirect effects differ:

* a clique with equal weights: every link is as strong as every other;
* a ring whose links fade with distance around it (plus a little seeded noise);
* a bipartite manga-tag network projected onto the manga, the model of the real catalogue.

Each is deconvolved twice: as given (the write-up's code) and scaled the way the catalogue
model scales (Feizi et al.'s ``beta``). The difference matters: deconvolution inverts the series
``G_obs = G_dir + G_dir^2 + ...``, which converges only when every eigenvalue of ``G_obs``
exceeds -1/2. The clique with unit weights has eigenvalue -1 (``I + G`` singular), the ring and
the projection go below -1, so unscaled results there say more about that pole than about the
network. Silencing uses the network as given, as the catalogue model does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sitegen.models.indirect import nd_scale
from support.dense import deconvolve, silence

#: Feizi et al.'s scale used for the "scaled" deconvolutions, as the catalogue model's default.
BETA = 0.9


def clique(n: int = 6, weight: float = 1.0) -> np.ndarray:
    """Complete graph on ``n`` nodes with every link ``weight``, shape (n, n)."""
    g = np.full((n, n), float(weight))
    np.fill_diagonal(g, 0.0)
    return g


def ring(n: int = 10, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """Ring of ``n`` nodes: weight 1 between neighbours, ``1 / distance`` around the ring beyond.

    Each weight is multiplied by ``1 + u`` with ``u`` uniform in ``[-noise, noise]`` (symmetric,
    seeded) so that no two links tie exactly.
    """
    i = np.arange(n)
    steps = np.abs(i[:, None] - i[None, :])
    steps = np.minimum(steps, n - steps)
    g = np.divide(1.0, steps, out=np.zeros((n, n)), where=steps > 0)
    jitter = np.triu(np.random.default_rng(seed).uniform(-noise, noise, (n, n)), 1)
    return g * (1.0 + jitter + jitter.T)


def bipartite(n_manga: int = 5, n_tags: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A weighted manga x tag network and its projection onto the manga.

    Manga ``i`` links to the first ``i mod n_tags + 1`` tags with weight ``i`` (its id), so
    manga 0 has only zero-weight links and ends up isolated, and with the defaults manga 2
    and 4 share two tags. The projection is ``W W^T`` with a zero diagonal: two manga are
    linked by the sum over shared tags of the product of their weights.

    Returns
    -------
    w : ndarray, shape (n_manga, n_tags)
    projection : ndarray, shape (n_manga, n_manga)
    """
    w = np.zeros((n_manga, n_tags))
    for i in range(n_manga):
        w[i, : i % n_tags + 1] = i
    projection = w @ w.T
    np.fill_diagonal(projection, 0.0)
    return w, projection


@dataclass(frozen=True)
class Toy:
    """One toy network and what the two methods make of it.

    Attributes
    ----------
    name, description : str
    network : ndarray, shape (n, n)
        The observed network ``G``.
    factor : ndarray or None, shape (n, m)
        For a projection, the weighted incidence matrix ``W`` with ``G = W W^T - diag``.
    """

    name: str
    description: str
    network: np.ndarray
    factor: np.ndarray | None = None

    @cached_property
    def eigenvalues(self) -> np.ndarray:
        """Eigenvalues of ``G``, ascending."""
        return np.linalg.eigvalsh(self.network)

    @cached_property
    def scale(self) -> float:
        """Feizi et al.'s factor for :data:`BETA` from ``G``'s extreme eigenvalues."""
        return nd_scale(self.eigenvalues[-1], self.eigenvalues[0], BETA)

    @cached_property
    def deconvolved(self) -> np.ndarray:
        """Deconvolution of ``G`` as given (the write-up's code), finished to maximum 1."""
        return deconvolve(self.network)

    @cached_property
    def deconvolved_scaled(self) -> np.ndarray:
        """Deconvolution of ``scale * G``, finished to maximum 1."""
        return deconvolve(self.network, scale=self.scale)

    @cached_property
    def silenced(self) -> np.ndarray:
        """Global silencing of ``G``, finished to maximum 1 (not symmetric in general)."""
        return silence(self.network)

    def matrices(self) -> dict[str, np.ndarray]:
        """Every matrix by name, for figures."""
        return {
            "network": self.network,
            "deconvolved": self.deconvolved,
            "deconvolved_scaled": self.deconvolved_scaled,
            "silenced": self.silenced,
        }


def toy_networks() -> dict[str, Toy]:
    """The write-up's three toys (and the clique at weights either side of the pole)."""
    w, projection = bipartite()
    toys = [
        Toy("clique", "6 nodes, every link weight 1 (eigenvalue -1: the pole)", clique()),
        Toy("clique_heavy", "6 nodes, every link weight 2 (eigenvalue -2: past the pole)", clique(weight=2)),
        Toy("clique_light", "6 nodes, every link weight 0.5 (eigenvalue -0.5)", clique(weight=0.5)),
        Toy("ring", "10 nodes, weight 1 / distance around the ring, 5% noise", ring()),
        Toy("bipartite", "5 manga x 3 tags projected onto the manga", projection, w),
    ]
    return {t.name: t for t in toys}
