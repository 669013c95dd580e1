"""The maps' jobs on the build's backlog (:mod:`sitegen.backlog`): each model's maps as soon as its
lists are found, each with its cluster labels (:mod:`sitegen.analysis.projections`,
:mod:`sitegen.analysis.labels`).

The PCA maps need no lists and were once queued right after the fit, so that the maps' thread
would not wait for the first search. Measured in two paired 110,000-manga builds, the text
model's search (parallel) then took 15-17 s longer beside them and the build ended no sooner:
both cores are already busy then. So each model's PCA map is laid out with its UMAP map.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .analysis.labels import cluster_labels
from .analysis.neighbours import Neighbours
from .analysis.projections import MapInputs, Projection, map_inputs, mapped_count, pca_map, umap_map
from .backlog import Backlog
from .config import BuildConfig
from .models import Model
from .sources.catalogue import Catalogue


def queue_map(maps: Backlog, model: Model, found: Neighbours, catalogue: Catalogue, config: BuildConfig,
              umap: bool | None = None, key: str | None = None, same: str | None = None) -> None:
    """Queue ``model``'s maps and their labels (catalogue order) under ``key`` (the model's name),
    UMAP if ``config`` wants it for this model (or as ``umap`` says); the job keeps the neighbour
    graph only, not the lists. A model with the distance of model ``same`` has its maps, renamed
    (and without UMAP's when ``config`` wants none for it)."""
    def umap_for(name: str) -> bool:
        return config.projection.method == "umap" and (not config.projection.umap_models
                                                       or name in config.projection.umap_models)

    umap = umap_for(model.name) if umap is None else config.projection.method == "umap" and umap
    if same is not None and (umap_for(same) or not umap):
        maps.add(key or model.name, renamed_maps, maps, same, model.name, umap)
        return
    inputs = map_inputs(model, found, mapped_count(len(catalogue), config.projection.size), config.projection,
                        catalogue.tag_groups, umap)
    maps.add(key or model.name, labelled_maps, model, inputs, catalogue, config)


def renamed_maps(maps: Backlog, same: str, name: str, umap: bool) -> list[Projection]:
    """Model ``same``'s maps as model ``name``'s (laid out once: the same vectors and lists), its
    UMAP map only if ``umap``."""
    return [dataclasses.replace(p, model=name, labels=list(p.labels)) for p in maps.result(same)
            if umap or p.method != "umap"]


def labelled_pca(model: Model, owner: np.ndarray, catalogue: Catalogue,
                 config: BuildConfig) -> tuple[Projection, np.ndarray]:
    """A model's PCA map with its cluster labels, and the PCA coordinates its UMAP map starts from."""
    projection, pca = pca_map(model, owner)
    projection.labels.extend(cluster_labels(projection.coords, catalogue.matrix[: len(owner)], config.seed))
    return projection, pca


def labelled_maps(model: Model, inputs: MapInputs, catalogue: Catalogue, config: BuildConfig) -> list[Projection]:
    """One model's maps, ``[umap, pca]`` or ``[pca]``, each with its cluster labels."""
    projection, pca = labelled_pca(model, inputs.owner, catalogue, config)
    if inputs.knn is None:
        return [projection]
    layout = umap_map(model.name, inputs, pca, config.projection, config.seed)
    layout.labels.extend(cluster_labels(layout.coords, catalogue.matrix[: len(inputs.owner)], config.seed))
    return [layout, projection]


def default_maps(maps: Backlog, models: list[Model], neighbours: list[Neighbours], catalogue: Catalogue,
                 default: str | None, config: BuildConfig) -> dict[str, list[Projection]]:
    """The default model's maps, now (the site numbers its manga by its UMAP map), with a UMAP map
    even when ``projection.umap_models`` leaves it out."""
    at = next((p for p, nb in enumerate(neighbours) if nb.model == default), None)
    if at is None:
        return {}
    per = maps.result(models[at].name, helping=False)
    if config.projection.method == "umap" and not any(p.method == "umap" for p in per):
        queue_map(maps, models[at], neighbours[at], catalogue, config, umap=True, key="default, with UMAP")
        per = maps.result("default, with UMAP", helping=False)
    return {models[at].name: per}
