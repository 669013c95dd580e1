// Explore: fuzzy title search over the catalogue index, then one manga's neighbours under every
// model, side by side. All catalogue text is inserted as text (textContent), never as HTML; the
// one exception is the description, which the build sanitized with an allowlist.
(function () {
  "use strict";

  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const $ = (id) => document.getElementById(id);
  const input = $("search-input");
  const list = $("search-results");
  const status = $("status");

  let data = null;        // the catalogue index
  let byId = new Map();   // manga id -> index
  let current = null;     // selected index
  const shardCache = new Map();

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function mangadexUrl(id) {
    return UUID.test(id) ? "https://mangadex.org/title/" + id : "https://mangadex.org/";
  }

  async function loadIndex() {
    const response = await fetch("data/catalogue.json");
    if (!response.ok) throw new Error("catalogue index: HTTP " + response.status);
    data = await response.json();
    const m = data.manga;
    m.id.forEach((id, i) => byId.set(id, i));
    TitleSearch.attach({
      input, list, prefix: "result-", manga: m, keys: m.id.map((_, i) => i),
      meta: (i) => (m.year[i] ? m.year[i] + " · " : "") + m.follows[i].toLocaleString("en") + " follows",
      onChoose: (i) => choose(i),
      onResults: (found, needle, max) => {
        status.textContent = !needle ? "Type to search." : found ? found + (found === max ? "+" : "") +
          " matching titles; use ↑ ↓ and Enter, or click." : "No title matches “" + needle + "”.";
      },
    });
    status.textContent = m.id.length.toLocaleString("en") + " manga, " + data.models.length +
      " models. Type to search.";
  }

  async function shardFor(i) {
    const number = Math.floor(i / data.shard_size);
    if (!shardCache.has(number)) {
      const name = String(number).padStart(4, "0");
      shardCache.set(number, fetch("data/shards/" + name + ".json").then((r) => {
        if (!r.ok) throw new Error("neighbour shard " + name + ": HTTP " + r.status);
        return r.json();
      }));
    }
    return shardCache.get(number);
  }

  function choose(i, push = true) {
    input.value = data.manga.title[i];
    if (push) history.pushState({ id: data.manga.id[i] }, "", urlFor(data.manga.id[i]));
    select(i);
  }

  function tagChips(container, tagIdx, shared) {
    container.replaceChildren();
    for (const t of tagIdx) {
      const tag = data.tags[t];
      const li = el("li", { class: "tag g-" + tag.group + (shared && shared.has(t) ? " shared" : "") }, tag.name);
      container.append(li);
    }
  }

  async function select(i) {
    current = i;
    const m = data.manga;
    document.title = m.title[i] + " · Explore · mangarec";
    $("intro").hidden = true;
    $("selection").hidden = false;
    $("manga-title").textContent = m.title[i];
    status.textContent = "Its nearest manga under each model, closest first. Type to search again.";
    $("manga-alt").textContent = m.alt[i].join(" · ");
    const meta = [m.year[i], m.status[i], data.content_ratings[m.rating[i]],
      m.follows[i].toLocaleString("en") + " follows", m.score[i] != null ? "rated " + m.score[i] : null];
    $("manga-meta").textContent = meta.filter((x) => x !== null && x !== "").join(" · ");
    tagChips($("manga-tags"), m.tags[i]);
    $("manga-link").href = mangadexUrl(m.id[i]);
    libraryButton();
    $("manga-desc").replaceChildren();
    $("columns").replaceChildren(el("p", { class: "status" }, "Loading neighbours…"));
    let shard;
    try {
      shard = await shardFor(i);
    } catch (err) {
      $("columns").replaceChildren(el("p", { class: "error" }, "Could not load the neighbours: " + err.message));
      return;
    }
    if (current !== i) return;  // a newer selection won the race
    $("manga-desc").innerHTML = shard.desc[i - shard.start];  // sanitized at build time
    renderColumns(i, shard);
  }

  function filters() {
    const checked = (name) => Array.from(document.querySelectorAll("input[name=" + name + "]:checked")).map((x) => x.value);
    return { ratings: new Set(checked("rating").map(Number)), models: new Set(checked("model")),
      minShared: Number($("min-shared").value) };
  }

  // The models shown travel in the URL (?models=a,b) when they are not all of them.
  function modelsFromUrl() {
    const wanted = new URLSearchParams(location.search).get("models");
    const names = wanted ? new Set(wanted.split(",")) : null;
    document.querySelectorAll("input[name=model]").forEach((box) => { box.checked = !names || names.has(box.value); });
  }

  function urlFor(id) {
    const boxes = Array.from(document.querySelectorAll("input[name=model]"));
    const on = boxes.filter((b) => b.checked).map((b) => b.value);  // names are [a-z0-9_]
    return "?id=" + encodeURIComponent(id) + (on.length !== boxes.length ? "&models=" + on.join(",") : "");
  }

  function renderColumns(i, shard) {
    const m = data.manga;
    const mine = new Set(m.tags[i]);
    const f = filters();
    const columns = $("columns");
    columns.replaceChildren();
    for (const model of data.models) {
      if (!f.models.has(model.name)) continue;
      const block = shard.models[model.name];
      const col = el("section", { class: "column", "data-model": model.name, "aria-label": model.label + " neighbours" });
      col.append(el("h2", {}, model.label));
      col.append(el("p", { class: "model-summary" }, model.summary));
      const ol = el("ol", { class: "neighbours" });
      const row = block.idx[i - shard.start], dist = block.dist[i - shard.start];
      let shown = 0;
      row.forEach((j, r) => {
        if (j < 0) return;
        const shared = new Set(m.tags[j].filter((t) => mine.has(t)));
        if (!f.ratings.has(m.rating[j]) || shared.size < f.minShared) return;
        shown++;
        const li = el("li", { class: "neighbour" });
        const head = el("div", { class: "n-head" });
        const a = el("a", { href: urlFor(m.id[j]), class: "n-title" }, m.title[j]);
        a.addEventListener("click", (e) => { e.preventDefault(); choose(j); window.scrollTo(0, 0); });
        head.append(a, el("span", { class: "dist", title: "distance (lower is closer)" }, dist[r].toFixed(3)));
        const md = el("a", { href: mangadexUrl(m.id[j]), class: "md", rel: "noopener", target: "_blank",
          "aria-label": "Open " + m.title[j] + " on MangaDex" }, "MangaDex ↗");
        head.append(md);
        const why = el("ul", { class: "tags small", "aria-label": "Shared tags" });
        tagChips(why, Array.from(shared).sort((x, y) => x - y));
        li.append(head, why);
        ol.append(li);
      });
      col.append(ol);
      if (!shown) col.append(el("p", { class: "status" }, "No neighbour passes the filters."));
      columns.append(col);
    }
  }

  function restoreFromUrl() {
    modelsFromUrl();
    const id = new URLSearchParams(location.search).get("id");
    if (id && byId.has(id)) { input.value = data.manga.title[byId.get(id)]; select(byId.get(id)); }
    else if (id) status.textContent = "No manga with id " + id + " in this catalogue.";
    else { $("selection").hidden = true; $("intro").hidden = false; current = null; }
  }

  document.getElementById("filters").addEventListener("change", (e) => {
    if (current === null) return;
    if (e.target.name === "model") history.replaceState(history.state, "", urlFor(data.manga.id[current]));
    shardFor(current).then((s) => renderColumns(current, s));
  });
  window.addEventListener("popstate", restoreFromUrl);

  // The reader's library (static/js/library.js), which the feed page ranks by: add or remove
  // the selected manga.
  function libraryButton() {
    const mine = current !== null && window.MangarecLibrary.has(data.manga.id[current]);
    $("library-toggle").textContent = mine ? "Remove from my library" : "Add to my library";
  }
  $("library-toggle").addEventListener("click", () => {
    if (current === null) return;
    const id = data.manga.id[current];
    if (window.MangarecLibrary.has(id)) window.MangarecLibrary.remove(id);
    else window.MangarecLibrary.add(id);
    libraryButton();
  });
  window.MangarecLibrary.onChange(libraryButton);

  loadIndex().then(restoreFromUrl).catch((err) => {
    status.textContent = "Could not load the catalogue: " + err.message;
    status.classList.add("error");
  });
})();
