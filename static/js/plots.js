// Maps: every manga on each model's 2-D map (UMAP or PCA), drawn with Plotly's WebGL scatter, or
// where WebGL is software or missing, painted on a canvas under the plot (static/js/mappoints.js).
//
// Loading: the small index (the contract's "projections", with every manga's demographic) and the
// shown map's coordinates ("map", 4 bytes a manga) are enough to draw the first map, coloured by
// demographic; other maps load when chosen. Only once the first map is on screen does the page
// ask for the manga's tags ("map_manga": other colourings, hover, selections), the catalogue index
// (model names, the title search's layout) and the list columns (titles for hover and the
// selection list, ~1.4 MB gzipped at 110,000 manga): they would share the link, and the main
// thread, with what the first map needs. (An address asking for a colouring by tag loads the
// tags first.)
//
// Cluster labels come from the build; which of them are shown is decided on screen
// (static/js/mappoints.js), so that none overlaps another and more appear as the reader zooms in.
//
// Hover, click, search and selection: static/js/mapinteract.js. What Plotly is handed (legend
// names, ring names) is escaped first, since Plotly reads its strings as markup.
(function () {
  "use strict";

  const { $, el } = Site;
  const plot = $("plot");
  const status = $("plot-status");
  const modelSelect = $("plot-model");
  const methodSelect = $("plot-method");
  const colourSelect = $("plot-colour");
  const tagSelect = $("plot-tag");
  const labelLayer = $("plot-labels");
  const { PALETTE, REBUILD } = MapData;
  const FINE_ZOOM = 1.8;  // fine labels once the view is this many times narrower than the whole map
  const renderer = MapPoints.choose();
  const points = renderer === "canvas" ? MapPoints.layer(plot) : null;
  const traceType = renderer === "webgl" ? "scattergl" : "scatter";  // rings and legend entries on a canvas map
  plot.dataset.renderer = renderer;
  if (points) plot.parentNode.classList.add("points-canvas");

  // The page's state, shared with static/js/mapinteract.js.
  const view = {
    plot,
    index: null,      // the maps index (projections)
    info: null,       // {demo, start, tags}: the mapped manga's demographics and tag lists (tags null until loaded)
    current: null,    // the drawn map: {model, method, entry, map, colours}
    category: null,   // per manga, its trace number in the drawn colouring
    matches: [],      // manga ringed by the search
    focus: -1,        // the chosen manga, or -1
    focusId: null,    // its MangaDex id, once known (for the URL)
    titles: null,     // every manga's title (the list columns), once loaded
    loadTitles, loadTags, draw, zoomTo, describe, updateUrl, fail, hiddenCategories,
  };
  const maps = new Map(); // file number -> {x, y, grid}
  let cat = null;         // the catalogue index, once loaded
  let fullSpan = 0;       // width of the whole map's view, for the zoom level
  let failed = false;

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  async function loadMap(file) {
    if (!maps.has(file)) maps.set(file, MapData.loadMap(file, view.index.manga));
    return maps.get(file);
  }

  // The manga file (tags and demographics), once: view.info then has the tags.
  let tags = null;
  function loadTags() {
    if (!tags) {
      tags = MapData.loadInfo().then((info) => {
        if (info.count !== view.index.manga) throw new Error(Site.dataPath("map_manga") + " does not match the index" + REBUILD);
        view.info = info;
      });
      tags.catch(() => { tags = null; });
    }
    return tags;
  }

  let titles = null;
  function loadTitles() {
    if (!titles) titles = Site.columns().then((c) => (view.titles = c.title));
    return titles;
  }

  // --- drawing ---------------------------------------------------------------------------------

  function markerSize() {
    const n = view.index.manga;
    return n > 50000 ? 2.5 : n > 10000 ? 3.5 : 5;
  }

  // One trace per category, kept while the map and colouring stay (a search only changes the
  // rings): Plotly then redraws without re-reading 110,000 points, and legend toggles persist.
  // On a canvas map the traces are empty (legend entries) and `paint` lists what the canvas draws.
  let drawn = { key: "", colours: null, base: null, paint: [] };

  function categoryTraces(file, map, group, primary) {
    const key = file + "/" + group + "/" + primary;
    if (drawn.key !== key) {
      const colours = MapData.colouring(view.index, view.info, group, primary);
      drawn = Object.assign({ key, colours }, traces(map, colours));
    }
    return drawn;
  }

  function hiddenCategories() {
    const out = new Set();
    for (const t of plot._fullData || []) if (t.visible !== true && t.meta >= 0) out.add(t.meta);
    return out;
  }

  function rings(map) {
    const out = [], n = view.matches.length;
    if (n) out.push(ring("matches (" + n.toLocaleString("en") + ")", view.matches, map, 8, "#111"));
    if (view.focus >= 0 && view.focus < view.index.manga) {
      out.push(ring(esc($("plot-focus-title").textContent || "chosen"), [view.focus], map, 18, "#000"));
    }
    return out;
  }

  // The category traces ({base}) and, for a canvas, each category's manga in drawing order ({paint}).
  function traces(map, colours) {
    const { cats, byManga } = colours;
    const members = cats.map((c) => new Uint32Array(c.n)), filled = new Uint32Array(cats.length);
    for (let i = 0; i < byManga.length; i++) members[byManga[i]][filled[byManga[i]]++] = i;
    const size = markerSize();
    // greys under colours, and small categories over big ones, so that none is buried
    const order = cats.map((_, k) => k).filter((k) => cats[k].n > 0).sort((a, b) =>
      (cats[b].grey ? 1 : 0) - (cats[a].grey ? 1 : 0) || cats[b].n - cats[a].n);
    const base = order.map((k) => {
      const c = cats[k], idx = members[k];
      // a canvas map's trace holds one blank point: an empty trace would leave the legend
      const x = points ? [null] : Float32Array.from(idx, (i) => map.x[i]), y = points ? [null] : Float32Array.from(idx, (i) => map.y[i]);
      return {
        type: traceType, mode: "markers", name: esc(c.name) + " (" + c.n.toLocaleString("en") + ")",
        x, y, marker: { size, color: c.colour }, hoverinfo: "none", legendrank: k + 1, meta: k,
      };
    });
    return { base, paint: order.map((k) => ({ k, members: members[k], colour: cats[k].colour })) };
  }

  function ring(name, idx, map, size, colour) {
    return {
      type: traceType, mode: "markers", name, hoverinfo: "none", legendrank: 1000, meta: -1,
      x: Float32Array.from(idx, (i) => map.x[i]), y: Float32Array.from(idx, (i) => map.y[i]),
      // an open symbol is stroked in the marker's colour (Plotly's SVG scatter ignores line.color for it)
      marker: { size, color: colour, symbol: "circle-open", line: { width: 2, color: colour } },
    };
  }

  // The axes span the map with a margin: set, not found by Plotly, as a canvas map gives it no data.
  function layout(key, map) {
    const hidden = { visible: false, showgrid: false, zeroline: false };
    const axis = (v) => {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < v.length; i++) { if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i]; }
      const pad = (hi - lo) * 0.02 || 1;
      return Object.assign({ range: [lo - pad, hi + pad], autorange: false }, hidden);
    };
    return {
      margin: { l: 4, r: 4, t: 4, b: 4 }, hovermode: false, dragmode: "pan",
      // The map is stretched to the plot's shape: a UMAP map's aspect means nothing, and a square map in
      // a wide window would leave most of it empty (the axes of a PCA map stay labelled nowhere either).
      xaxis: map ? axis(map.x) : Object.assign({}, hidden), yaxis: map ? axis(map.y) : Object.assign({}, hidden),
      showlegend: true, legend: { x: 0, y: 1, xanchor: "left", yanchor: "top", bgcolor: "rgba(255,255,255,0.85)",
        itemsizing: "constant", font: { size: 12 } },
      paper_bgcolor: points ? "rgba(0,0,0,0)" : "#fff", plot_bgcolor: points ? "rgba(0,0,0,0)" : "#fff",  // the canvas shows through
      uirevision: key,  // a new colouring keeps the reader's zoom; a new map resets it
    };
  }

  // no autoscale button: a canvas map gives Plotly no points to scale to (double-click still resets)
  const CONFIG = { responsive: true, displaylogo: false, scrollZoom: true,
    modeBarButtonsToRemove: ["sendChartToCloud", "toImage", "autoScale2d"] };

  function fitHeight() {
    // the plot fills the rest of the first screen, and at least a usable square on a phone
    const top = plot.getBoundingClientRect().top + window.scrollY;
    plot.style.height = Math.max(360, Math.round(window.innerHeight - top - 8)) + "px";
  }

  async function draw() {
    const model = modelSelect.value, method = methodSelect.value;
    if (method === "tags") return drawTags(model);
    colourSelect.disabled = tagSelect.disabled = false;
    const entry = view.index.models.find((m) => m.name === model).maps[method];
    const map = await loadMap(entry.file);
    const primary = tagSelect.value === "" ? -1 : Number(tagSelect.value);
    if (!view.info.tags && (primary >= 0 || colourSelect.value !== "demographic")) await loadTags();
    const { colours, base } = categoryTraces(entry.file, map, colourSelect.value, primary);
    view.current = { model, method, entry, map, colours };
    view.category = colours.byManga;
    fitHeight();
    await Plotly.react(plot, base.concat(rings(map)), layout(model + "/" + method, map), CONFIG);
    if (!fullSpan || plot.dataset.map !== model + "/" + method) fullSpan = span();
    plot.dataset.map = model + "/" + method;
    plot.dataset.model = model;  // what is drawn, for tests and styling
    plot.dataset.points = String(colours.cats.reduce((s, c) => s + c.n, 0));
    paintPoints();
    placeLabels();
    describe();
  }

  // The canvas's points for the axes' current ranges (Plotly updates them during a drag).
  function paintPoints() {
    if (!points || !view.current || !plot._fullLayout) return;
    const fl = plot._fullLayout, hidden = hiddenCategories();
    plot.dataset.rendered = String(points.paint({ map: view.current.map, cats: drawn.paint.filter((c) => !hidden.has(c.k)),
      size: fl._size, xr: fl.xaxis.range, yr: fl.yaxis.range, diameter: markerSize() }));
  }

  // Points and labels follow a pan or zoom as it goes, once a frame.
  let following = 0;
  function follow() {
    if (!following) following = requestAnimationFrame(() => { following = 0; paintPoints(); placeLabels(); });
  }

  function zoomTo(idx, minHalf) {
    const { x, y } = view.current.map;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const i of idx) { x0 = Math.min(x0, x[i]); x1 = Math.max(x1, x[i]); y0 = Math.min(y0, y[i]); y1 = Math.max(y1, y[i]); }
    // equal spans keep the whole map's stretch (its x and y both span about 2)
    const half = Math.max(minHalf, (x1 - x0) / 2 * 1.15, (y1 - y0) / 2 * 1.15);
    const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
    return Plotly.relayout(plot, { "xaxis.range": [cx - half, cx + half], "yaxis.range": [cy - half, cy + half] });
  }

  function span() {
    const r = plot._fullLayout.xaxis.range;
    return Math.abs(r[1] - r[0]);
  }

  // --- tag map ---------------------------------------------------------------------------------

  // The tags placed by the model's tag vectors, coloured by group, sized by the manga carrying
  // them; hover lists the tags each most often comes with (Plotly's hover: a few dozen points).
  async function drawTags(model) {
    const index = view.index, tm = index.tagmaps, m = tm.maps.find((x) => x.model === model);
    view.current = null;
    if (interact) interact.hideTip();
    labels.clear();
    if (points) points.clear();
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
    await Plotly.react(plot, traces, look, Object.assign({}, CONFIG,
      { modeBarButtonsToRemove: CONFIG.modeBarButtonsToRemove.concat(["select2d", "lasso2d"]) }));
    plot.dataset.map = model + "/tags";
    plot.dataset.model = model;
    plot.dataset.points = String(traces.reduce((s, t) => s + t.x.length, 0));
    plot.dataset.labels = "0";
    $("plot-caption").textContent = "Tag map: each tag placed by this model's tag vectors (classical MDS of their " +
      "cosine distances), sized by the manga carrying it; hover a tag for the tags it most often comes with.";
    if (!failed) status.textContent = index.tags.length.toLocaleString("en") + " tags on the map.";
  }

  function tagHover(t) {
    const tm = view.index.tagmaps, tags = view.index.tags;
    const lines = ["<b>" + esc(tags[t].name) + "</b> (" + tm.counts[t].toLocaleString("en") + " manga), most often with:"];
    for (const [u, n] of tm.cooccur[t]) lines.push(esc(tags[u].name) + ": " + n.toLocaleString("en"));
    return lines.join("<br>");
  }

  // --- labels (static/js/mappoints.js) -----------------------------------------------------------

  const labels = MapPoints.labels(plot, labelLayer);

  function placeLabels() {
    if (!view.current || !plot._fullLayout) return;
    const xr = plot._fullLayout.xaxis.range, zoom = fullSpan / Math.abs(xr[1] - xr[0]);
    const names = (label) => label.tags.slice(0, 2).map((t) => view.index.tags[t].name).join(" \u00b7 ");
    plot.dataset.labels = String(labels.place(view.current.entry.labels, names, zoom >= FINE_ZOOM));
  }

  // --- page ------------------------------------------------------------------------------------

  function describe() {
    if (!view.current || failed) return;
    const model = cat ? cat.models.find((m) => m.name === view.current.model) : null;
    const p = view.index.params, n = view.index.manga.toLocaleString("en");
    const how = view.current.method === "umap"
      ? "UMAP of its " + p.n_neighbors + "-nearest-neighbour lists, started from its PCA map"
      : "the first two principal components of its vectors";
    const summary = modelSelect.selectedOptions[0] ? modelSelect.selectedOptions[0].title : "";
    $("plot-caption").textContent = (model ? model.label + ": " + model.summary : summary) + ". Map: " + how + "; " + n + " manga.";
    if (view.matches.length) return;
    status.textContent = n + " manga on the map. " + (view.titles ? "Hover a point for its title and tags, click it for " +
      "its recommendations; drag a box or lasso (toolbar) to list manga." : "Loading titles for hover and search…");
  }

  const collator = new Intl.Collator("en");  // once: localeCompare(…, "en") made one per comparison

  function fillControls() {
    const index = view.index;
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
      tags.sort((a, b) => collator.compare(index.tags[a].name, index.tags[b].name));
      for (const t of tags) optgroup.append(el("option", { value: String(t) }, index.tags[t].name));
      tagSelect.append(optgroup);
    }
  }

  function fillMethods() {
    const index = view.index, entry = index.models.find((m) => m.name === modelSelect.value);
    const was = methodSelect.value;
    methodSelect.replaceChildren(...index.methods.filter((m) => entry.maps[m]).map((m) =>
      el("option", { value: m }, m === "umap" ? "UMAP (neighbour graph)" : "PCA")));
    if (index.tagmaps.maps.some((x) => x.model === entry.name)) methodSelect.append(el("option", { value: "tags" }, "Tag map"));
    if (Array.from(methodSelect.options).some((o) => o.value === was)) methodSelect.value = was;
  }

  function updateUrl() {
    const primary = tagSelect.value === "" ? null : view.index.tags[Number(tagSelect.value)].name;
    Site.setUrl({ model: modelSelect.value, map: methodSelect.value, colour: colourSelect.value, tag: primary,
      id: view.focus >= 0 ? view.focusId : null }, { state: null });
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
    const t = tag ? view.index.tags.findIndex((x) => x.name === tag) : -1;
    if (t >= 0) tagSelect.value = String(t);
  }

  function redraw() {
    updateUrl();
    draw().catch(fail);
  }

  function fail(err) {
    failed = true;
    status.textContent = "Could not draw the maps: " + err.message;
    status.classList.add("error");
  }

  modelSelect.addEventListener("change", () => { fillMethods(); redraw(); });
  for (const select of [methodSelect, colourSelect, tagSelect]) select.addEventListener("change", redraw);
  window.addEventListener("resize", () => { if (view.current) fitHeight(); });

  // This script comes before plotly.js in the page, so the data travel while plotly.js loads;
  // drawing waits for the page's scripts to have run.
  const scriptsRun = new Promise((resolve) => {
    if (document.readyState !== "loading") resolve();
    else document.addEventListener("DOMContentLoaded", resolve, { once: true });
  });
  const painted = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));

  let interact = null;

  async function start() {
    const index = Site.fetchData("projections");  // preloaded by the page
    // An address that names no map shows the default one, file 0 (sitegen/site/maps.py): it
    // travels with the index rather than after it.
    if (!Site.param("model") && !Site.param("map")) {
      const guess = MapData.loadMap(0, index.then((x) => x.manga));
      guess.catch(() => {});  // reported where it is drawn; never unhandled
      maps.set(0, guess);
    }
    view.index = await index;
    fillControls();
    restoreFromUrl();
    const shown = methodSelect.value === "tags" ? null : view.index.models.find((m) => m.name === modelSelect.value).maps[methodSelect.value];
    const first = shown ? loadMap(shown.file) : null;
    const byDemographic = colourSelect.value === "demographic" && tagSelect.value === "";
    view.info = byDemographic ? MapData.demographicsOf(view.index) : null;
    if (!view.info) await loadTags();  // travels with the map
    await first;
    await scriptsRun;
    performance.mark("maps: data");
    await draw();
    performance.mark("maps: drawn");
    await painted();
    performance.mark("maps: painted");  // on screen: what the reader waited for
    interact = MapInteract.attach(view);
    if (view.current) setTimeout(() => MapData.gridOf(view.current.map), 0);  // for the first hover, off the first paint
    loadTags().catch(fail);
    // points and labels follow each step of a pan or zoom, and the end of one (and a resize);
    // a legend click hides or shows a colour's points
    plot.on("plotly_relayouting", follow);
    plot.on("plotly_relayout", () => { paintPoints(); placeLabels(); });
    plot.on("plotly_restyle", paintPoints);
    // Then, with the map on screen: the catalogue index (the search's layout, the models' names)
    // and the titles. The search needs only the first: it fetches its own index fragments.
    cat = await Site.catalogue();
    interact.startSearch();
    const id = Site.param("id");
    const focusing = id ? interact.focusId(id) : null;
    await Promise.all([loadTitles(), loadTags()]);  // hover shows both at once
    await focusing;
    describe();
    plot.dataset.titles = "ready";
  }

  start().catch(fail);
})();
