// Maps: every manga on each model's 2-D map (UMAP or PCA), drawn with Plotly's WebGL scatter.
//
// Loading: the small index (the contract's "projections"), the manga's tags ("map_manga") and the
// shown map's coordinates ("map", 4 bytes a manga) are enough to draw and colour the first map;
// other maps load when chosen. The catalogue index (titles, ids) loads after the first
// map is drawn: hover, search, selection lists and click-through wait for it.
//
// Hover and click find the nearest point themselves in a grid of the map's points (Plotly's own
// hover is off: it scans and labels every point of every trace on each move). Cluster labels come
// from the build; which of them are shown is decided here, on screen, so that none overlaps
// another and more appear as the reader zooms in.
//
// Catalogue text reaches the page only as text (textContent, via Site.el); what is handed to
// Plotly (legend names, labels) is escaped first, since Plotly reads its strings as markup.
(function () {
  "use strict";

  const { $, el } = Site;
  const plot = $("plot");
  const status = $("plot-status");
  const modelSelect = $("plot-model");
  const methodSelect = $("plot-method");
  const colourSelect = $("plot-colour");
  const tagSelect = $("plot-tag");
  const input = $("plot-search");
  const list = $("plot-results");
  const tip = $("plot-tip");
  const { GRID, PALETTE, REBUILD, cellOf } = MapData;
  const HOVER_PX = 10;    // a point this close to the pointer (CSS pixels) is hovered
  const FINE_ZOOM = 1.8;  // fine labels once the view is this many times narrower than the whole map
  const MAX_MATCHES = 5000;
  const SPAN = 0.08;      // half-width of the view around a chosen title

  let index = null;       // the maps index (projections)
  let info = null;        // {demo, start, tags}: the mapped manga's demographics and tag lists
  let cat = null;         // the catalogue index, once loaded
  let catalogue = null;   // its promise
  const maps = new Map(); // file number -> {x, y, grid}
  let current = null;     // the drawn map
  let category = null;    // per manga, its trace number in the drawn colouring
  let matches = [];       // manga highlighted by the search
  let focus = -1;         // the chosen title, or -1
  let fullSpan = 0;       // width of the whole map's view, for the zoom level
  const traceType = webgl() ? "scattergl" : "scatter";  // SVG still works where WebGL does not

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function webgl() {
    try {
      const canvas = document.createElement("canvas");
      return Boolean(canvas.getContext("webgl2") || canvas.getContext("webgl"));
    } catch (err) {
      return false;
    }
  }

  // --- data (static/js/mapdata.js) --------------------------------------------------------------

  function tagsOf(i) {
    return MapData.tagsOf(info, i);
  }

  async function loadMap(file) {
    if (!maps.has(file)) maps.set(file, await MapData.loadMap(file, index.manga));
    return maps.get(file);
  }

  function colouring(group, primary) {
    return MapData.colouring(index, info, group, primary);
  }

  // --- drawing ---------------------------------------------------------------------------------

  function markerSize() {
    const n = index.manga;
    return n > 50000 ? 2.5 : n > 10000 ? 3.5 : 5;
  }

  // One trace per category, kept while the map and colouring stay (a search only changes the
  // rings): Plotly then redraws without re-reading 110,000 points, and legend toggles persist.
  let drawn = { key: "", colours: null, base: null };

  function categoryTraces(file, map, group, primary) {
    const key = file + "/" + group + "/" + primary;
    if (drawn.key !== key) {
      const colours = colouring(group, primary);
      drawn = { key, colours, base: traces(map, colours) };
    }
    return drawn;
  }

  function rings(map) {
    const out = [];
    if (matches.length) out.push(ring("matches (" + matches.length.toLocaleString("en") + ")", matches, map, 8, "#111"));
    if (focus >= 0) out.push(ring(esc(cat ? cat.manga.title[focus] : "chosen"), [focus], map, 18, "#000"));
    return out;
  }

  function traces(map, colours) {
    const members = colours.cats.map(() => []);
    colours.byManga.forEach((k, i) => members[k].push(i));
    const size = markerSize();
    // greys under colours, and small categories over big ones, so that none is buried
    const order = colours.cats.map((_, k) => k).sort((a, b) =>
      (colours.cats[b].grey ? 1 : 0) - (colours.cats[a].grey ? 1 : 0) || colours.cats[b].n - colours.cats[a].n);
    const out = order.filter((k) => colours.cats[k].n > 0).map((k) => {
      const c = colours.cats[k], idx = members[k];
      const x = new Float32Array(idx.length), y = new Float32Array(idx.length);
      idx.forEach((i, j) => { x[j] = map.x[i]; y[j] = map.y[i]; });
      return {
        type: traceType, mode: "markers", name: esc(c.name) + " (" + c.n.toLocaleString("en") + ")",
        x, y, marker: { size, color: c.colour }, hoverinfo: "none", legendrank: k + 1, meta: k,
      };
    });
    return out;
  }

  function ring(name, idx, map, size, colour) {
    return {
      type: traceType, mode: "markers", name, hoverinfo: "none", legendrank: 1000, meta: -1,
      x: Float32Array.from(idx, (i) => map.x[i]), y: Float32Array.from(idx, (i) => map.y[i]),
      marker: { size, color: "rgba(0,0,0,0)", symbol: "circle-open", line: { width: 2, color: colour } },
    };
  }

  function layout(key) {
    const hidden = { visible: false, showgrid: false, zeroline: false };
    return {
      margin: { l: 4, r: 4, t: 4, b: 4 }, hovermode: false, dragmode: "pan",
      // The map is stretched to the plot's shape: a UMAP map's aspect means nothing, and a square map in
      // a wide window would leave most of it empty (the axes of a PCA map stay labelled nowhere either).
      xaxis: Object.assign({}, hidden), yaxis: Object.assign({}, hidden),  // two objects: Plotly writes ranges into them
      showlegend: true, legend: { x: 0, y: 1, xanchor: "left", yanchor: "top", bgcolor: "rgba(255,255,255,0.85)",
        itemsizing: "constant", font: { size: 12 } },
      paper_bgcolor: "#fff", plot_bgcolor: "#fff", annotations: [],
      uirevision: key,  // a new colouring keeps the reader's zoom; a new map resets it
    };
  }

  function fitHeight() {
    // the plot fills the rest of the first screen, and at least a usable square on a phone
    const top = plot.getBoundingClientRect().top + window.scrollY;
    plot.style.height = Math.max(360, Math.round(window.innerHeight - top - 8)) + "px";
  }

  async function draw() {
    const model = modelSelect.value, method = methodSelect.value;
    if (method === "tags") return drawTags(model);
    colourSelect.disabled = tagSelect.disabled = false;
    const entry = index.models.find((m) => m.name === model).maps[method];
    const map = await loadMap(entry.file);
    const primary = tagSelect.value === "" ? -1 : Number(tagSelect.value);
    const { colours, base } = categoryTraces(entry.file, map, colourSelect.value, primary);
    current = { model, method, entry, map, colours };
    category = colours.byManga;
    fitHeight();
    await Plotly.react(plot, base.concat(rings(map)), layout(model + "/" + method),
      { responsive: true, displaylogo: false, scrollZoom: true, modeBarButtonsToRemove: ["sendChartToCloud", "toImage"] });
    if (!fullSpan || plot.dataset.map !== model + "/" + method) fullSpan = span();
    plot.dataset.map = model + "/" + method;
    plot.dataset.model = model;  // what is drawn, for tests and styling
    plot.dataset.points = String(colours.cats.reduce((s, c) => s + c.n, 0));
    placeLabels();
    describe();
  }

  // --- tag map ---------------------------------------------------------------------------------

  // The tags placed by the model's tag vectors, coloured by group, sized by the manga carrying
  // them; hover lists the tags each most often comes with (Plotly's hover: a few dozen points).
  async function drawTags(model) {
    const tm = index.tagmaps, m = tm.maps.find((x) => x.model === model);
    current = null;
    tip.hidden = true;
    const most = Math.max(1, ...tm.counts);
    const groups = Array.from(new Set(index.tags.map((t) => t.group)));
    const traces = groups.map((group, k) => {
      const ts = index.tags.map((_, t) => t).filter((t) => index.tags[t].group === group && tm.counts[t] > 0);
      return {
        type: "scatter", mode: "markers+text", name: esc(group) + " (" + ts.length + " tags)",
        x: ts.map((t) => m.xy[t][0]), y: ts.map((t) => m.xy[t][1]),
        text: ts.map((t) => esc(index.tags[t].name)), textposition: "top center", textfont: { size: 11 },
        marker: { size: ts.map((t) => 6 + 34 * Math.sqrt(tm.counts[t] / most)), color: PALETTE[k % PALETTE.length],
          opacity: 0.75, line: { width: 1, color: "#fff" } },
        hovertext: ts.map(tagHover), hoverinfo: "text",
      };
    });
    fitHeight();
    colourSelect.disabled = tagSelect.disabled = true;  // colours of manga: not on a map of tags
    const look = Object.assign(layout(model + "/tags"), { hovermode: "closest", hoverlabel: { align: "left" } });
    Object.assign(look.legend, { x: 1, xanchor: "right", y: 0, yanchor: "bottom" });  // tags crowd the top left
    await Plotly.react(plot, traces, look, { responsive: true, displaylogo: false, scrollZoom: true,
      modeBarButtonsToRemove: ["sendChartToCloud", "toImage", "select2d", "lasso2d"] });
    plot.dataset.map = model + "/tags";
    plot.dataset.model = model;
    plot.dataset.points = String(traces.reduce((s, t) => s + t.x.length, 0));
    plot.dataset.labels = "0";
    $("plot-caption").textContent = "Tag map: each tag placed by this model's tag vectors (classical MDS of their " +
      "cosine distances), sized by the manga carrying it; hover a tag for the tags it most often comes with.";
    status.textContent = index.tags.length.toLocaleString("en") + " tags on the map.";
  }

  function tagHover(t) {
    const tm = index.tagmaps;
    const lines = ["<b>" + esc(index.tags[t].name) + "</b> (" + tm.counts[t].toLocaleString("en") + " manga), most often with:"];
    for (const [u, n] of tm.cooccur[t]) lines.push(esc(index.tags[u].name) + ": " + n.toLocaleString("en"));
    return lines.join("<br>");
  }

  function span() {
    const r = plot._fullLayout.xaxis.range;
    return Math.abs(r[1] - r[0]);
  }

  // --- labels ----------------------------------------------------------------------------------

  const measure = document.createElement("canvas").getContext("2d");

  function labelText(label) {
    return label.tags.slice(0, 2).map((t) => index.tags[t].name).join(" \u00b7 ");
  }

  // Greedy placement on screen: coarse labels first, bigger clusters first; a label that would
  // overlap one already placed, or leave the plot, is left out. Zoomed in, fine labels join.
  function placeLabels() {
    if (!current || !plot._fullLayout) return;
    const fl = plot._fullLayout, xa = fl.xaxis, ya = fl.yaxis, size = fl._size;
    const zoom = fullSpan / span();
    const placed = [], annotations = [];
    const legend = plot.querySelector(".legend");  // labels keep off the legend too
    if (legend) {
      const r = legend.getBoundingClientRect(), box = plot.getBoundingClientRect();
      const l = r.left - box.left - size.l, t = r.top - box.top - size.t;
      placed.push({ l, r: l + r.width, t, b: t + r.height });
    }
    for (const label of current.entry.labels) {
      if (label.level > 0 && zoom < FINE_ZOOM) continue;
      const px = xa.l2p(label.x), py = ya.l2p(label.y);
      if (px < 0 || py < 0 || px > size.w || py > size.h) continue;
      const text = labelText(label), fontSize = label.level ? 11 : 13;
      measure.font = "600 " + fontSize + "px system-ui, sans-serif";
      const w = measure.measureText(text).width + 8, h = fontSize + 8;
      const box = { l: px - w / 2, r: px + w / 2, t: py - h / 2, b: py + h / 2 };
      if (box.l < 0 || box.r > size.w || box.t < 0 || box.b > size.h) continue;
      if (placed.some((o) => box.l < o.r && o.l < box.r && box.t < o.b && o.t < box.b)) continue;
      placed.push(box);
      annotations.push({ x: label.x, y: label.y, text: esc(text), showarrow: false, xanchor: "center", yanchor: "middle",
        font: { size: fontSize, color: "#111", family: "system-ui, sans-serif", weight: 600 },
        bgcolor: "rgba(255,255,255,0.78)", borderpad: 2, captureevents: false });
    }
    plot.dataset.labels = String(annotations.length);
    Plotly.relayout(plot, { annotations });
  }

  // --- hover and click -------------------------------------------------------------------------

  // The visible manga nearest to a point of the page within HOVER_PX, or -1. Distances are in
  // pixels: the map is stretched to the plot, so x and y have scales of their own.
  function nearest(clientX, clientY) {
    if (!current || !plot._fullLayout) return -1;
    const fl = plot._fullLayout, rect = plot.getBoundingClientRect();
    const px = clientX - rect.left - fl._size.l, py = clientY - rect.top - fl._size.t;
    if (px < 0 || py < 0 || px > fl._size.w || py > fl._size.h) return -1;
    const x = fl.xaxis.p2l(px), y = fl.yaxis.p2l(py);
    const xr = fl.xaxis.range, yr = fl.yaxis.range;
    const perX = Math.abs(xr[1] - xr[0]) / fl._size.w, perY = Math.abs(yr[1] - yr[0]) / fl._size.h;
    const rx = HOVER_PX * perX, ry = HOVER_PX * perY;
    const hidden = hiddenCategories(), { x: xs, y: ys, grid: g } = current.map;
    let best = -1, bestD = HOVER_PX * HOVER_PX;
    for (let cx = cellOf(x - rx); cx <= cellOf(x + rx); cx++) {
      for (let cy = cellOf(y - ry); cy <= cellOf(y + ry); cy++) {
        const c = cx * GRID + cy;
        for (let k = g.first[c]; k < g.first[c + 1]; k++) {
          const i = g.order[k];
          if (hidden.has(category[i])) continue;
          const d = ((xs[i] - x) / perX) ** 2 + ((ys[i] - y) / perY) ** 2;
          if (d < bestD || (d === bestD && i < best)) { bestD = d; best = i; }
        }
      }
    }
    return best;
  }

  function hiddenCategories() {
    const out = new Set();
    for (const t of plot._fullData || []) if (t.visible !== true && t.meta >= 0) out.add(t.meta);
    return out;
  }

  function showTip(i, clientX, clientY) {
    if (i < 0) { tip.hidden = true; plot.style.cursor = ""; return; }
    const title = cat ? cat.manga.title[i] : "(titles loading…)";
    const tags = Array.from(tagsOf(i), (t) => index.tags[t].name).join(", ");
    tip.replaceChildren(el("strong", { dir: "auto" }, title), el("span", {}, tags || "no tags"));
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
  // A click (not the end of a drag) on a point opens that manga in Explore.
  plot.addEventListener("click", async (e) => {
    if (down && Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) return;
    if (plot._fullLayout && plot._fullLayout.dragmode !== "pan" && plot._fullLayout.dragmode !== "zoom") return;
    const i = nearest(e.clientX, e.clientY);
    if (i < 0 || !catalogue) return;
    const c = await catalogue;
    location.href = Site.pageUrl("explore", { id: c.manga.id[i] });
  });

  // --- search ----------------------------------------------------------------------------------

  function fold(text) {
    return String(text).normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  }

  // Every mapped manga whose title or an alternative title holds every word of the needle. The
  // folded names are made once (folding 110,000 titles and their alternatives takes seconds).
  let folded = null;

  function allMatches(needle) {
    const words = fold(needle).split(/\s+/).filter(Boolean);
    if (!words.length || !cat) return [];
    if (!folded) {
      folded = Array.from({ length: index.manga }, (_, i) => [cat.manga.title[i]].concat(cat.manga.alt[i] || []).map(fold));
    }
    const out = [];
    for (let i = 0; i < index.manga && out.length < MAX_MATCHES; i++) {
      if (folded[i].some((t) => words.every((w) => t.includes(w)))) out.push(i);
    }
    return out;
  }

  function zoomTo(idx, minHalf) {
    const { x, y } = current.map;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const i of idx) { x0 = Math.min(x0, x[i]); x1 = Math.max(x1, x[i]); y0 = Math.min(y0, y[i]); y1 = Math.max(y1, y[i]); }
    // equal spans keep the whole map's stretch (its x and y both span about 2)
    const half = Math.max(minHalf, (x1 - x0) / 2 * 1.15, (y1 - y0) / 2 * 1.15);
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    return Plotly.relayout(plot, { "xaxis.range": [cx - half, cx + half], "yaxis.range": [cy - half, cy + half] });
  }

  // Every match ringed and zoomed to; the status always says what this search found (never an
  // earlier one's result).
  async function highlight(needle) {
    matches = needle ? allMatches(needle) : [];
    await draw();
    if (!current) return;  // the tag map: titles are not on it
    if (matches.length) await zoomTo(matches, SPAN);
    if (needle && !matches.length) {
      status.textContent = "No title on the map matches \u201c" + needle + "\u201d.";
    } else if (needle) {
      status.textContent = matches.length.toLocaleString("en") + (matches.length === MAX_MATCHES ? "+" : "") +
        " manga match \u201c" + needle + "\u201d: ringed on the map.";
    }
  }

  async function choose(i) {
    focus = i;
    matches = [];
    $("plot-focus-title").textContent = cat.manga.title[i];
    $("plot-focus-link").href = Site.pageUrl("explore", { id: cat.manga.id[i] });
    $("plot-focus").hidden = false;
    input.value = cat.manga.title[i];
    updateUrl();
    describe();
    await draw();
    if (current) await zoomTo([i], SPAN);
  }

  // --- selection -------------------------------------------------------------------------------

  function inside(poly, x, y) {
    let hit = false;
    for (let a = 0, b = poly.x.length - 1; a < poly.x.length; b = a++) {
      if ((poly.y[a] > y) !== (poly.y[b] > y) &&
          x < (poly.x[b] - poly.x[a]) * (y - poly.y[a]) / (poly.y[b] - poly.y[a]) + poly.x[a]) hit = !hit;
    }
    return hit;
  }

  function selected(event) {
    const { x, y } = current.map, hidden = hiddenCategories(), out = [];
    const test = event.range ? (i) => x[i] >= Math.min(...event.range.x) && x[i] <= Math.max(...event.range.x) &&
      y[i] >= Math.min(...event.range.y) && y[i] <= Math.max(...event.range.y)
      : (i) => inside(event.lassoPoints, x[i], y[i]);
    for (let i = 0; i < index.manga; i++) if (!hidden.has(category[i]) && test(i)) out.push(i);
    return out;
  }

  function overRepresented(idx) {
    return MapData.overRepresented(index, info, idx);
  }

  async function showSelection(idx) {
    const panel = $("plot-selection");
    if (!idx.length) { panel.hidden = true; return; }
    panel.hidden = false;
    $("plot-selection-count").textContent = idx.length.toLocaleString("en") + " manga selected" +
      (idx.length > 100 ? "; the 100 most followed are listed" : "") + ".";
    const tags = $("plot-selection-tags");
    tags.replaceChildren(...overRepresented(idx).map(({ t, share, lift }) =>
      el("li", { class: "chip" }, index.tags[t].name + " \u00d7" + lift.toFixed(1) + " (" + Math.round(share * 100) + "%)")));
    if (!tags.children.length) tags.append(el("li", {}, "none stands out"));
    const items = $("plot-selection-list");
    items.replaceChildren(el("li", {}, "Loading titles…"));
    const c = await catalogue;
    items.replaceChildren(...idx.slice(0, 100).map((i) => selectionItem(c, i)));
  }

  function selectionItem(c, i) {
    const id = c.manga.id[i];
    const li = el("li");
    li.append(el("a", { href: Site.pageUrl("explore", { id }), dir: "auto" }, c.manga.title[i]));
    li.append(el("span", { class: "sel-tags" }, Array.from(tagsOf(i), (t) => index.tags[t].name).join(", ")));
    if (window.Library) {
      const button = el("button", { type: "button", class: "sel-add" }, Library.has(id) ? "In your library" : "Add to library");
      button.disabled = Library.has(id);
      button.addEventListener("click", () => {
        if (Library.add(id) !== false) { button.textContent = "In your library"; button.disabled = true; }
      });
      li.append(button);
    }
    return li;
  }

  // --- page ------------------------------------------------------------------------------------

  function describe() {
    if (!current) return;
    const model = cat ? cat.models.find((m) => m.name === current.model) : null;
    const p = index.params;
    const how = current.method === "umap"
      ? "UMAP of its " + p.n_neighbors + "-nearest-neighbour lists, started from its PCA map"
      : "the first two principal components of its vectors";
    const summary = modelSelect.selectedOptions[0] ? modelSelect.selectedOptions[0].title : "";
    $("plot-caption").textContent = (model ? model.label + ": " + model.summary : summary) + ". Map: " + how +
      "; " + index.manga.toLocaleString("en") + " manga.";
    if (matches.length) return;
    status.textContent = index.manga.toLocaleString("en") + " manga on the map. " +
      (cat ? "Hover a point for its title and tags, click it for its recommendations; drag a box or lasso " +
        "(toolbar) to list manga." : "Loading titles for hover and search…") + FALLBACK;
  }

  const FALLBACK = traceType === "scatter"
    ? " WebGL is not available in this browser, so the map is drawn without it and may be slow." : "";

  function fillControls() {
    for (const option of Array.from(modelSelect.options)) {
      if (!index.models.some((m) => m.name === option.value)) option.remove();
    }
    const groups = new Map();
    index.tags.forEach((tag, t) => {
      if (!groups.has(tag.group)) groups.set(tag.group, []);
      groups.get(tag.group).push(t);
    });
    for (const group of groups.keys()) colourSelect.append(el("option", { value: group }, group));
    for (const [group, tags] of groups) {
      const optgroup = el("optgroup", { label: group });
      tags.sort((a, b) => index.tags[a].name.localeCompare(index.tags[b].name, "en"));
      for (const t of tags) optgroup.append(el("option", { value: String(t) }, index.tags[t].name));
      tagSelect.append(optgroup);
    }
  }

  function fillMethods() {
    const entry = index.models.find((m) => m.name === modelSelect.value);
    const was = methodSelect.value;
    methodSelect.replaceChildren(...index.methods.filter((m) => entry.maps[m]).map((m) =>
      el("option", { value: m }, m === "umap" ? "UMAP (neighbour graph)" : "PCA")));
    if (index.tagmaps.maps.some((x) => x.model === entry.name)) methodSelect.append(el("option", { value: "tags" }, "Tag map"));
    if (Array.from(methodSelect.options).some((o) => o.value === was)) methodSelect.value = was;
  }

  function updateUrl() {
    const primary = tagSelect.value === "" ? null : index.tags[Number(tagSelect.value)].name;
    Site.setUrl({ model: modelSelect.value, map: methodSelect.value, colour: colourSelect.value, tag: primary,
      id: focus >= 0 && cat ? cat.manga.id[focus] : null }, { state: null });
  }

  function restoreFromUrl() {
    const pick = (select, value) => {
      if (value && Array.from(select.options).some((o) => o.value === value)) select.value = value;
    };
    pick(modelSelect, Site.param("model"));
    fillMethods();
    pick(methodSelect, Site.param("map"));
    pick(colourSelect, Site.param("colour"));
    const tag = Site.param("tag");
    const t = tag ? index.tags.findIndex((x) => x.name === tag) : -1;
    if (t >= 0) tagSelect.value = String(t);
  }

  function redraw() {
    updateUrl();
    draw().catch(fail);
  }

  function fail(err) {
    status.textContent = "Could not draw the maps: " + err.message;
    status.classList.add("error");
  }

  modelSelect.addEventListener("change", () => { fillMethods(); redraw(); });
  for (const select of [methodSelect, colourSelect, tagSelect]) select.addEventListener("change", redraw);
  window.addEventListener("resize", () => { if (current) fitHeight(); });

  // This script comes before plotly.js in the page, so the data travel while plotly.js loads;
  // drawing waits for the page's scripts to have run.
  const scriptsRun = new Promise((resolve) => {
    if (document.readyState !== "loading") resolve();
    else document.addEventListener("DOMContentLoaded", resolve, { once: true });
  });

  async function start() {
    const manga = MapData.loadInfo();  // needs no index: both travel at once
    index = await Site.fetchData("projections");
    fillControls();
    restoreFromUrl();
    const shown = methodSelect.value === "tags" ? null : index.models.find((m) => m.name === modelSelect.value).maps[methodSelect.value];
    const first = shown ? loadMap(shown.file) : null;  // the shown map travels with the manga file
    info = await manga;
    if (info.count !== index.manga) throw new Error(Site.dataPath("map_manga") + " does not match the index" + REBUILD);
    await first;
    await scriptsRun;
    performance.mark("maps: data");
    await draw();
    performance.mark("maps: drawn");
    requestAnimationFrame(() => requestAnimationFrame(() => performance.mark("maps: painted")));  // on screen
    plot.on("plotly_relayout", (change) => {
      if (change && Object.keys(change).some((k) => k.startsWith("xaxis") || k.startsWith("yaxis"))) placeLabels();
    });
    plot.on("plotly_selected", (event) => {
      if (current && event && (event.range || event.lassoPoints)) showSelection(selected(event)).catch(fail);
    });
    plot.on("plotly_deselect", () => { $("plot-selection").hidden = true; });
    catalogue = Site.fetchData("catalogue");
    cat = await catalogue;
    await titlesReady();
  }

  async function titlesReady() {
    const keys = Array.from({ length: index.manga }, (_, i) => i);
    Site.titleSearch({
      input, list, prefix: "plot-result-", manga: cat.manga, keys,
      onChoose: (i) => { choose(i).catch(fail); },
      onResults: (found, needle) => { highlight(needle).catch(fail); },
    });
    input.disabled = false;
    input.placeholder = "Part of a title…";
    const id = Site.param("id");
    const i = id ? cat.manga.id.indexOf(id) : -1;
    if (i >= 0 && i < index.manga) await choose(i);
    else describe();
    plot.dataset.titles = "ready";
  }

  start().catch(fail);
})();
