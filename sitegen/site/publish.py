"""Publishing one build: every page and data file of the site, written and swapped in at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import __version__
from . import budget, contract
from .data import GUARDED_TAGS, ModelInfo, catalogue_index, model_details, neighbour_shards, shards, tag_statistics
from .packed import scales
from .pages import read_pages
from .render import SiteWriter

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
    projections: dict[str, Any]
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
        "guard_names": [t.name for t in catalogue.tags if t.name in GUARDED_TAGS or t.group == "content"],
    }
    with SiteWriter(site.out, site.templates_dir, extra_dir=site.extra_dir,
                    check=budget.checker(site.pages_limits)) as writer:
        model_scales = scales([nb.distances for nb in inputs.neighbours])
        stored = inputs.neighbours[0].indices.shape[1] if inputs.neighbours else inputs.k  # k shown + spare
        writer.write_data("catalogue", catalogue_index(catalogue, infos, site.shard_size, stored, model_scales,
                                                         show=inputs.k, selection=inputs.evaluation.selection))
        for number, shard in shards(catalogue, site.shard_size, inputs.neighbours):
            writer.write_data("shard", shard, number)
        for number, packed in neighbour_shards(inputs.neighbours, len(catalogue), site.shard_size, model_scales):
            writer.write_bytes(contract.FILES["neighbours"].name(number), packed)
        writer.write_data("evaluation", contract.versioned("evaluation", data["evaluation"]))
        writer.write_data("models", contract.versioned("models", {"models": data["models"]}))
        writer.write_data("tag_rules", contract.versioned("tag_rules", inputs.rules))
        writer.write_data("feed", inputs.feed)
        writer.write_data("projections", inputs.projections["index"])
        for path, blob in inputs.projections["files"].items():
            writer.write_bytes(path, blob)
        for page in contract.PAGES:
            writer.render(page.file, page.template, page=page.file, **context)
        for page in pages:
            writer.render(f"{page.slug}.html", "page.html", page=f"{page.slug}.html", content=page, **context)
        writer.copy_tree(site.static_dir, "static")
        writer.write_text(".nojekyll", "")
        writer.commit({"generator": f"sitegen {__version__}", "manga": len(catalogue),
                       "models": [m.name for m in inputs.models]})
    return writer
