// Maps page: what the reader does on a drawn map (wired by static/js/plots.js): hover and click,
// the title search, box and lasso selection.
//
// Hover and click find the nearest point themselves in a grid of the map's points (Plotly's own
// hover is off: it scans and labels every point of every trace on each move). Titles for hover and
// the selection list come from the list columns (Site.columns), which the page loads after the
// first map is on screen. The page never loads every manga's MangaDex id (issue 10): links go to
// Explore by catalogue index (?m=), "add to library" and the focus's shareable URL read the one
// id they need from the manga's pick shard (Site.pick), and a map URL's ?id= is resolved through
// the id buckets (Site.lookupIds).
//
// Catalogue text reaches the page only as text (textContent, via Site.el).
(function () {
  "use strict";

  const { $, el } = Site;
  const { GRID, cellOf } = MapData;
  const HOVER_PX = 10;    // a point this close to the pointer (CSS pixels) is hovered
  const MAX_MATCHES = 5000;
  const SPAN = 0.08;      // half-width of the view around a chosen title
  const DOUBLE_CLICK_MS = 300;  // Plotly's own double-click window

  // view: the page's state and actions (static/js/plots.js): plot, index, info, current, category,
  // matches, focus, focusId, titles (columns' titles once loaded), loadTitles(), loadTags(), draw(),
  // zoomTo(idx, half), describe(), updateUrl(), fail(err), hiddenCategories().
  function attach(view) {
    const { plot } = view;
    const tip = $("plot-tip"), status = $("plot-status"), input = $("plot-search");

    // --- hover and click -----------------------------------------------------------------------

    // The visible manga nearest to a point of the page within HOVER_PX, or -1. Distances are in
    // pixels: the map is stretched to the plot, so x and y have scales of their own.
    function nearest(clientX, clientY) {
      if (!view.current || !plot._fullLayout) return -1;
      const fl = plot._fullLayout, rect = plot.getBoundingClientRect();
      const px = clientX - rect.left - fl._size.l, py = clientY - rect.top - fl._size.t;
      if (px < 0 || py < 0 || px > fl._size.w || py > fl._size.h) return -1;
      const x = fl.xaxis.p2l(px), y = fl.yaxis.p2l(py);
      const xr = fl.xaxis.range, yr = fl.yaxis.range;
      const perX = Math.abs(xr[1] - xr[0]) / fl._size.w, perY = Math.abs(yr[1] - yr[0]) / fl._size.h;
      const rx = HOVER_PX * perX, ry = HOVER_PX * perY;
      const hidden = view.hiddenCategories(), { x: xs, y: ys } = view.current.map, g = MapData.gridOf(view.current.map);
      let best = -1, bestD = HOVER_PX * HOVER_PX;
      for (let cx = cellOf(x - rx); cx <= cellOf(x + rx); cx++) {
        for (let cy = cellOf(y - ry); cy <= cellOf(y + ry); cy++) {
          const c = cx * GRID + cy;
          for (let k = g.first[c]; k < g.first[c + 1]; k++) {
            const i = g.order[k];
            if (hidden.has(view.category[i])) continue;
            const d = ((xs[i] - x) / perX) ** 2 + ((ys[i] - y) / perY) ** 2;
            if (d < bestD || (d === bestD && i < best)) { bestD = d; best = i; }
          }
        }
      }
      return best;
    }

    function tagNames(i) {
      if (!view.info.tags) return "(tags loading…)";
      return Array.from(MapData.tagsOf(view.info, i), (t) => view.index.tags[t].name).join(", ") || "no tags";
    }

    function showTip(i, clientX, clientY) {
      if (i < 0) { tip.hidden = true; plot.style.cursor = ""; return; }
      const title = view.titles ? view.titles[i] : "(titles loading…)";
      tip.replaceChildren(el("strong", { dir: "auto" }, title), el("span", {}, tagNames(i)));
      tip.hidden = false;
      plot.style.cursor = "pointer";
      const box = plot.getBoundingClientRect(), w = tip.offsetWidth, h = tip.offsetHeight;
      let left = clientX - box.left + 14, top = clientY - box.top + 14;
      if (left + w > box.width) left = Math.max(0, clientX - box.left - w - 14);
      if (top + h > box.height) top = Math.max(0, clientY - box.top - h - 14);
      tip.style.left = left + "px";
      tip.style.top = top + "px";
      tip.dataset.index = String(i);
    }

    let down = null;
    plot.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
    plot.addEventListener("pointermove", (e) => {
      if (e.buttons) { tip.hidden = true; return; }
      showTip(nearest(e.clientX, e.clientY), e.clientX, e.clientY);
    });
    plot.addEventListener("pointerleave", () => { tip.hidden = true; });
    // A click (not the end of a drag) on a point opens that manga in Explore, which turns ?m= into
    // the manga's ?id= itself; not at once, as it may be the first of a double click, which
    // resets the view (on a map of 110,000 manga nearly every click lands on a point).
    let opening = 0;
    plot.addEventListener("click", (e) => {
      clearTimeout(opening);
      if (e.detail > 1) return;
      if (down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) return;
      if (plot._fullLayout && plot._fullLayout.dragmode !== "pan" && plot._fullLayout.dragmode !== "zoom") return;
      const i = nearest(e.clientX, e.clientY);
      if (i >= 0) opening = setTimeout(() => { location.href = Site.pageUrl("explore", { m: i }); }, DOUBLE_CLICK_MS);
    });

    // --- search --------------------------------------------------------------------------------

    // Every mapped manga the title search finds for the needle, ringed and zoomed to; the status
    // always says what this search found (never an earlier one's result). The search's typo
    // matches (uFuzzy's, added when few names hold the needle) are offered in the list but not
    // ringed: a ringed manga has a name holding every word typed.
    let asked = 0;
    async function highlight(needle) {
      const ticket = ++asked;
      const found = needle ? await Titles.findTitles(needle, MAX_MATCHES) : [];
      if (ticket !== asked) return;  // a later search has the reader's attention
      const words = Titles.fold(needle).split(" ").filter(Boolean);
      view.matches = found.filter((r) => r.i < view.index.manga &&
        words.every((w) => Titles.fold(r.name === null ? r.title : r.name).includes(w))).map((r) => r.i);
      await view.draw();
      if (!view.current || ticket !== asked) return;  // the tag map: titles are not on it
      if (view.matches.length) await view.zoomTo(view.matches, SPAN);
      if (needle && !view.matches.length) {
        status.textContent = "No title on the map matches \u201c" + needle + "\u201d.";
      } else if (needle) {
        status.textContent = view.matches.length.toLocaleString("en") + (found.length === MAX_MATCHES ? "+" : "") +
          " manga match \u201c" + needle + "\u201d: ringed on the map.";
      } else {
        view.describe();
      }
    }

    // The chosen manga ringed, centred and named, with a link to its recommendations; its MangaDex
    // id (for a URL that outlives the build, whose catalogue order changes) comes from its pick
    // shard, unless the URL gave it.
    async function choose(i, title, id = null) {
      view.focus = i;
      view.focusId = id;
      view.matches = [];
      asked++;  // a search still answering is no longer wanted
      $("plot-focus-title").textContent = title;
      $("plot-focus-link").href = Site.pageUrl("explore", { m: i });
      $("plot-focus").hidden = false;
      input.value = title;
      view.updateUrl();
      view.describe();
      if (i >= view.index.manga) status.textContent = "\u201c" + title + "\u201d is not on the maps (they show the most followed manga only).";
      await view.draw();
      if (view.current && i < view.index.manga) await view.zoomTo([i], SPAN);
      if (id === null) {
        const { shard, r } = await Site.pick(i);
        if (view.focus === i) { view.focusId = shard.id[r]; view.updateUrl(); }
      }
    }

    function startSearch() {
      Titles.titleSearch({
        input, list: $("plot-results"), prefix: "plot-result-",
        meta: (r) => (r.i < view.index.manga ? Site.followsText(r.follows) : "not on the map"),
        onChoose: (i, r) => { choose(i, r.title).catch(view.fail); },
        onResults: (found, needle, max, err) => {
          if (err) status.textContent = "The title search failed: " + err.message;
          else highlight(needle).catch(view.fail);
        },
      });
      input.disabled = false;
      input.placeholder = "Part of a title…";
    }

    // A map URL's ?id=: the manga's catalogue index from its id bucket, its title from its shard.
    async function focusId(id) {
      const found = await Site.lookupIds([id]);
      if (!found.has(id)) { status.textContent = "The manga of this address is not in this catalogue."; return; }
      const i = found.get(id), { shard, r } = await Site.pick(i);
      await choose(i, shard.title[r], id);
    }

    // --- selection -----------------------------------------------------------------------------

    function inside(poly, x, y) {
      let hit = false;
      for (let a = 0, b = poly.x.length - 1; a < poly.x.length; b = a++) {
        if ((poly.y[a] > y) !== (poly.y[b] > y) &&
            x < (poly.x[b] - poly.x[a]) * (y - poly.y[a]) / (poly.y[b] - poly.y[a]) + poly.x[a]) hit = !hit;
      }
      return hit;
    }

    function selected(event) {
      const { x, y } = view.current.map, hidden = view.hiddenCategories(), out = [];
      const test = event.range ? (i) => x[i] >= Math.min(...event.range.x) && x[i] <= Math.max(...event.range.x) &&
        y[i] >= Math.min(...event.range.y) && y[i] <= Math.max(...event.range.y)
        : (i) => inside(event.lassoPoints, x[i], y[i]);
      for (let i = 0; i < view.index.manga; i++) if (!hidden.has(view.category[i]) && test(i)) out.push(i);
      return out;
    }

    let shownSelection = 0;
    async function showSelection(idx) {
      const panel = $("plot-selection"), ticket = ++shownSelection;
      if (!idx.length) { panel.hidden = true; return; }
      panel.hidden = false;
      await view.loadTags();  // what the selection over-represents
      if (ticket !== shownSelection) return;
      $("plot-selection-count").textContent = idx.length.toLocaleString("en") + " manga selected" +
        (idx.length > 100 ? "; the 100 most followed are listed" : "") + ".";
      const tags = $("plot-selection-tags");
      tags.replaceChildren(...MapData.overRepresented(view.index, view.info, idx).map(({ t, share, lift }) =>
        el("li", { class: "chip" }, view.index.tags[t].name + " \u00d7" + lift.toFixed(1) + " (" + Math.round(share * 100) + "%)")));
      if (!tags.children.length) tags.append(el("li", {}, "none stands out"));
      const items = $("plot-selection-list");
      items.replaceChildren(el("li", {}, "Loading titles…"));
      // the library holds ids: those in the id buckets of the library's manga are marked
      const [titles, library] = await Promise.all([view.loadTitles(),
        window.Library ? Site.lookupIds(Library.read()) : Promise.resolve(new Map())]);
      if (ticket !== shownSelection) return;  // another selection replaced this one
      const owned = new Set(library.values());
      const pop = view.info.popularity;  // manga are numbered by likeness: order by follows here
      const most = idx.slice().sort((a, b) => pop[b] - pop[a] || a - b).slice(0, 100);
      items.replaceChildren(...most.map((i) => selectionItem(i, titles, owned)));
    }

    function selectionItem(i, titles, owned) {
      const li = el("li");
      li.append(el("a", { href: Site.pageUrl("explore", { m: i }), dir: "auto" }, titles[i]));
      li.append(el("span", { class: "sel-tags" }, tagNames(i)));
      if (window.Library) {
        const button = el("button", { type: "button", class: "sel-add" }, owned.has(i) ? "In your library" : "Add to library");
        button.disabled = owned.has(i);
        button.addEventListener("click", async () => {
          button.disabled = true;
          try {
            const { shard, r } = await Site.pick(i);  // the one id the library needs
            const added = Library.add(shard.id[r]) !== false;
            button.textContent = added ? "In your library" : "Could not save (browser storage refused)";
            button.disabled = added;
          } catch (err) {
            button.textContent = "Could not add: " + err.message;
            button.disabled = false;
          }
        });
        li.append(button);
      }
      return li;
    }

    plot.on("plotly_selected", (event) => {
      if (view.current && event && (event.range || event.lassoPoints)) showSelection(selected(event)).catch(view.fail);
    });
    plot.on("plotly_deselect", () => { $("plot-selection").hidden = true; });

    return { startSearch, focusId, hideTip: () => { tip.hidden = true; } };
  }

  window.MapInteract = Object.freeze({ attach });
})();
