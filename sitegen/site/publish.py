"""Publishing one build: every page and data file of the site, written and swapped in at once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import __version__
from . import budget, contract
from .data import (
    GUARDED_TAGS,
    Layout,
    ModelInfo,
    catalogue_index,
    columns,
    header_fields,
    id_buckets,
    model_details,
    neighbour_shards,
    shards,
    tag_statistics,
)
from .facets import Facets
from .packed import Scale, compress, scales
from .pages import read_pages
from .render import SiteWriter
from .textwork import TextWork

if TYPE_CHECKING:
    from ..analysis.evaluation import Evaluation
    from ..analysis.neighbours import Neighbours
    from ..config import SiteConfig
    from ..models import Model
    from ..sources.catalogue import Catalogue


@dataclass(frozen=True)
class SiteInputs:
    """Everything the site shows, computed by the build's earlier stages."""

    catalogue: Catalogue
    models: Sequence[Model]
    neighbours: Sequence[Neighbours]
    evaluation: Evaluation
    rules: dict[str, Any]
    feed: dict[str, Any]
    #: Called last, once the rest is written: the maps may still be being laid out (the build lays
    #: them out on a thread of their own). Gives :func:`sitegen.site.maps.map_files`'s dict.
    projections: Callable[[], dict[str, Any]]
    k: int


def write_site(site: SiteConfig, inputs: SiteInputs) -> SiteWriter:
    """Write every page and data file into a staging directory, then publish it atomically.

    Returns the writer, which counts the files and bytes written.
    """
    catalogue = inputs.catalogue
    selection = inputs.evaluation.selection
    off = selection.off if selection is not None else {}
    short = selection.off_short if selection is not None else {}
    infos = [ModelInfo(m.name, m.label, m.summary, m.metric, nb.method, nb.recall, m.name not in off, off.get(m.name),
                       short.get(m.name)) for m, nb in zip(inputs.models, inputs.neighbours)]
    data = {
        "evaluation": inputs.evaluation.to_json(),
        "models": model_details(inputs.models, infos),
        "tags": tag_statistics(catalogue, inputs.rules),
        "catalogue": {"manga": len(catalogue), "synthetic": catalogue.synthetic, "source": catalogue.source},
    }
    pages = read_pages(site.content_dir, data)
    context = {
        "synthetic": catalogue.synthetic,
        "n_manga": len(catalogue),
        "models": infos,
        "nav": [(p.file, p.label) for p in contract.PAGES] + [(p.slug + ".html", p.title) for p in pages],
        "version": __version__,
        "contract": contract.browser_constants(),
        "csp": contract.CSP,
        "facets": Facets.of(catalogue).choices(),
        "guard_names": [t.name for t in catalogue.tags if t.name in GUARDED_TAGS or t.group == "content"],
    }
    with SiteWriter(site.out, site.templates_dir, extra_dir=site.extra_dir,
                    check=budget.checker(site.pages_limits)) as writer:
        model_scales = scales([nb.distances for nb in inputs.neighbours])
        _write_catalogue(writer, site, inputs, infos, model_scales)
        writer.write_data("evaluation", contract.versioned("evaluation", data["evaluation"]))
        writer.write_data("models", contract.versioned("models", {"models": data["models"]}))
        writer.write_data("tag_rules", contract.versioned("tag_rules", inputs.rules))
        writer.write_data("feed", inputs.feed)
        for page in contract.PAGES:
            writer.render(page.file, page.template, page=page.file, **context)
        for page in pages:
            writer.render(f"{page.slug}.html", "page.html", page=f"{page.slug}.html", content=page, **context)
        writer.copy_tree(site.static_dir, "static")
        writer.write_text(".nojekyll", "")
        projections = inputs.projections()
        writer.write_data("projections", projections["index"])
        for path, blob in projections["files"].items():
            writer.write_bytes(path, blob)
        writer.commit({"generator": f"sitegen {__version__}", "manga": len(catalogue),
                       "models": [m.name for m in inputs.models]})
    return writer


def _write_catalogue(writer: SiteWriter, site: SiteConfig, inputs: SiteInputs, infos: Sequence[ModelInfo],
                     model_scales: Sequence[Scale]) -> None:
    """The catalogue index, list columns, title fragments, id buckets, pick shards and model lists."""
    catalogue, neighbours = inputs.catalogue, inputs.neighbours
    selection = inputs.evaluation.selection
    layout = Layout(site.shard_size, site.compare_size, min(site.id_buckets, max(1, len(catalogue))))
    stored = neighbours[0].indices.shape[1] if neighbours else inputs.k  # k shown + spare
    default = selection.default if selection is not None else (infos[0].name if infos else "")
    with TextWork(catalogue) as text:  # descriptions, then the title index, made beside what needs neither
        headers = header_fields(catalogue)
        writer.write_data("columns", columns(catalogue, headers))
        for number, bucket in id_buckets(catalogue, layout.id_buckets):
            writer.write_data("ids", bucket, number)
        for model, number, packed in neighbour_shards(neighbours, len(catalogue), site.compare_size, model_scales,
                                                      skip=default):
            writer.write_made(contract.FILES["neighbours"].name(number, model), compress, packed)
        at = next((p for p, nb in enumerate(neighbours) if nb.model == default), None)
        for number, shard in shards(catalogue, site.shard_size, neighbours, None if at is None else neighbours[at],
                                    None if at is None else model_scales[at], descriptions=text.descriptions(),
                                    headers=headers):
            writer.write_data("shard", shard, number, finite=True)  # while the helper makes the title index
        titles = text.titles()
    writer.write_data("catalogue", catalogue_index(catalogue, infos, layout, stored, model_scales, show=inputs.k,
                                                   selection=selection, titles=titles.header()))
    writer.write_data("titles_top", titles.top)
    for number, fragment in enumerate(titles.fragments):
        writer.write_data("titles", fragment, number)
