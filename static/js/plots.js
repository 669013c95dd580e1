// Maps: each model's 2-D projection of the most followed manga (the projections data file), drawn
// with Plotly. Colour by tag, find a title, hover for title and tags, click through to Explore.
// Page text is inserted as text (textContent). Plotly renders hover and legend labels as its own
// HTML-like markup, so every title and tag name handed to it is escaped first (esc).
(function () {
  "use strict";

  const SPAN = 0.25;  // half-width of the view when centring a found title (maps fill [-1, 1])
  const COLOURS = { all: "rgba(37, 99, 235, 0.55)", rest: "rgba(150, 150, 150, 0.3)", tagged: "#c2410c", focus: "#111" };
  const { $, el } = Site;
  const plot = $("plot");
  const status = $("plot-status");
  const modelSelect = $("plot-model");
  const tagSelect = $("plot-tag");
  const input = $("plot-search");
  const list = $("plot-results");

  let cat = null;          // the catalogue index
  let proj = null;         // the projections
  let hover = [];          // per sample position: escaped hover label
  let focus = -1;          // sample position of the found title, or -1
  let centred = "";        // model + focus last centred on, so tag changes keep the reader's view
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

  // Plotly does not wrap hover labels, so a long title or tag list would make a box wider than the
  // page: words are wrapped into lines of about WRAP characters, a longer word cut.
  const WRAP = 60;

  function wrap(words, joiner) {
    const lines = [];
    let line = "";
    for (let word of words) {
      while (word.length > WRAP) { if (line) { lines.push(line); line = ""; } lines.push(word.slice(0, WRAP)); word = word.slice(WRAP); }
      if (line && line.length + joiner.length + word.length > WRAP) { lines.push(line); line = ""; }
      line += (line ? joiner : "") + word;
    }
    if (line) lines.push(line);
    return lines;
  }

  function hoverLabel(i) {
    const m = cat.manga;
    const title = wrap(m.title[i].split(/\s+/).filter(Boolean), " ").map((l) => "<b>" + esc(l) + "</b>");
    const tags = wrap(m.tags[i].map((t) => cat.tags[t].name), ", ").map(esc);
    return title.concat(tags).join("<br>");
  }

  function prepare() {
    const m = cat.manga;
    hover = proj.sample.map(hoverLabel);
    Site.titleSearch({
      input, list, prefix: "plot-result-", manga: m, keys: proj.sample,
      onChoose: (i, position) => choose(position),
      onResults: (found, needle) => {
        if (needle && !found) status.textContent = "No mapped title matches \u201c" + needle + "\u201d.";
      },
    });
    for (const option of Array.from(modelSelect.options)) {
      if (!proj.models[option.value]) option.remove();  // a model the build did not map
    }
    fillTags();
  }

  // Tags carried by at least one mapped manga, grouped as MangaDex groups them, with counts.
  function fillTags() {
    const counts = new Array(cat.tags.length).fill(0);
    for (const i of proj.sample) for (const t of cat.manga.tags[i]) counts[t]++;
    const groups = new Map();
    cat.tags.forEach((tag, t) => {
      if (!counts[t]) return;
      if (!groups.has(tag.group)) groups.set(tag.group, []);
      groups.get(tag.group).push(t);
    });
    for (const [group, tags] of groups) {
      const optgroup = el("optgroup", { label: group });
      tags.sort((a, b) => cat.tags[a].name.localeCompare(cat.tags[b].name, "en"));
      for (const t of tags) {
        optgroup.append(el("option", { value: String(t) }, cat.tags[t].name + " (" + counts[t].toLocaleString("en") + ")"));
      }
      tagSelect.append(optgroup);
    }
  }

  function currentTag() {
    return tagSelect.value === "" ? -1 : Number(tagSelect.value);
  }

  function trace(name, positions, coords, marker) {
    return {
      type: traceType, mode: "markers", name: name, marker: marker,
      x: positions.map((p) => coords[p][0]), y: positions.map((p) => coords[p][1]),
      customdata: positions.map((p) => proj.sample[p]), text: positions.map((p) => hover[p]),
      hovertemplate: "%{text}<extra></extra>",
    };
  }

  function traces(model, tag) {
    const coords = proj.models[model];
    const size = proj.sample.length > 3000 ? 4 : 6;
    const all = proj.sample.map((_, p) => p);
    const out = [];
    if (tag < 0) {
      out.push(trace("manga", all, coords, { size: size, color: COLOURS.all }));
    } else {
      const has = (p) => cat.manga.tags[proj.sample[p]].includes(tag);
      const name = esc(cat.tags[tag].name);
      out.push(trace("without " + name, all.filter((p) => !has(p)), coords, { size: size, color: COLOURS.rest }));
      out.push(trace("with " + name, all.filter(has), coords, { size: size + 1, color: COLOURS.tagged }));
    }
    if (focus >= 0) {
      out.push(trace(esc(cat.manga.title[proj.sample[focus]]), [focus], coords,
        { size: 18, color: COLOURS.focus, symbol: "circle-open", line: { width: 3, color: COLOURS.focus } }));
    }
    return out;
  }

  function layout(model) {
    const hidden = { visible: false, showgrid: false, zeroline: false };
    return {
      margin: { l: 8, r: 8, t: 8, b: 8 }, hovermode: "closest", dragmode: "pan",
      xaxis: hidden, yaxis: Object.assign({ scaleanchor: "x", scaleratio: 1 }, hidden),
      showlegend: true, legend: { orientation: "h", x: 0, y: 1, yanchor: "bottom", bgcolor: "rgba(255,255,255,0.8)" },
      paper_bgcolor: "#fff", plot_bgcolor: "#fff",
      hoverlabel: { align: "left" },
      uirevision: model,  // switching tags keeps the reader's zoom; switching models resets it
    };
  }

  async function draw() {
    const model = modelSelect.value;
    await Plotly.react(plot, traces(model, currentTag()), layout(model),
      { responsive: true, displaylogo: false, scrollZoom: true, modeBarButtonsToRemove: ["select2d", "lasso2d", "sendChartToCloud"] });
    const key = model + "/" + focus;
    if (focus >= 0 && key !== centred) {
      const [x, y] = proj.models[model][focus];
      await Plotly.relayout(plot, { "xaxis.range": [x - SPAN, x + SPAN], "yaxis.range": [y - SPAN, y + SPAN] });
    }
    centred = key;
    plot.dataset.model = model;  // what is drawn, for tests and styling
    describe();
  }

  // Said beside every status: the map still works without WebGL, only slower (SVG).
  const FALLBACK = traceType === "scatter"
    ? " WebGL is not available in this browser, so the map is drawn without it and may be slow." : "";

  function describe() {
    const info = cat.models.find((m) => m.name === modelSelect.value);
    const p = proj.params;
    const how = proj.method === "umap" ? "UMAP of its exact " + p.n_neighbors + "-nearest-neighbour graph"
      : "the first two principal components of its vectors";
    $("plot-caption").textContent = (info ? info.label + ": " + info.summary + ". " : "") + "Map: " + how + ", " +
      proj.sample.length.toLocaleString("en") + " most followed manga.";
    const tag = currentTag();
    if (tag >= 0) {
      const n = proj.sample.filter((i) => cat.manga.tags[i].includes(tag)).length;
      status.textContent = n.toLocaleString("en") + " of " + proj.sample.length.toLocaleString("en") +
        " mapped manga are tagged " + cat.tags[tag].name + "." + FALLBACK;
    } else {
      status.textContent = proj.sample.length.toLocaleString("en") + " manga mapped by " + modelSelect.options.length +
        " models. Hover a point for its title and tags; click it to see its recommendations." + FALLBACK;
    }
  }

  function exploreUrl(index) {
    return Site.pageUrl("explore", { id: cat.manga.id[index] });
  }

  // A click on a point opens that manga in Explore (customdata is its catalogue index).
  function onPointClick(event) {
    const point = event && event.points && event.points[0];
    if (!point || typeof point.customdata !== "number" || !cat.manga.id[point.customdata]) return;
    location.href = exploreUrl(point.customdata);
  }

  function updateUrl() {
    Site.setUrl({ model: modelSelect.value, tag: currentTag() >= 0 ? cat.tags[currentTag()].name : null,
      id: focus >= 0 ? cat.manga.id[proj.sample[focus]] : null }, { state: null });
  }

  function restoreFromUrl() {
    const model = Site.param("model");
    if (model && proj.models[model] && Array.from(modelSelect.options).some((o) => o.value === model)) modelSelect.value = model;
    const tag = Site.param("tag");
    const t = tag ? cat.tags.findIndex((x) => x.name === tag) : -1;
    if (t >= 0 && tagSelect.querySelector('option[value="' + t + '"]')) tagSelect.value = String(t);
    const id = Site.param("id");
    const position = id ? proj.sample.findIndex((i) => cat.manga.id[i] === id) : -1;
    if (position >= 0) setFocus(position);
  }

  function setFocus(position) {
    focus = position;
    const i = proj.sample[position];
    $("plot-focus-title").textContent = cat.manga.title[i];
    $("plot-focus-link").href = exploreUrl(i);
    $("plot-focus").hidden = false;
    input.value = cat.manga.title[i];
  }

  function choose(position) {
    setFocus(position);
    updateUrl();
    draw();
  }

  modelSelect.addEventListener("change", () => { updateUrl(); draw(); });
  tagSelect.addEventListener("change", () => { updateUrl(); draw(); });

  Promise.all([Site.fetchData("catalogue"), Site.fetchData("projections")]).then(([c, p]) => {
    cat = c;
    proj = p;
    prepare();
    restoreFromUrl();
    return draw();
  }).then(() => {
    plot.on("plotly_click", onPointClick);
  }).catch((err) => {
    status.textContent = "Could not draw the maps: " + err.message;
    status.classList.add("error");
  });
})();
