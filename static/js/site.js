// The one module every page shares. It reads the site contract that the build embeds in each page
// (#site-contract, from sitegen/site/contract.py) and gives the pages what they would otherwise
// restate: where each data file lives and which layout version it must hold, the id pattern, the
// pages' addresses, MangaDex links; plus small DOM and URL helpers, tag chips and the title
// combobox. Catalogue text is always inserted as text (textContent), never as HTML.
(function () {
  "use strict";

  function deepFreeze(value) {
    if (value !== null && typeof value === "object") Object.values(value).forEach(deepFreeze);
    return Object.freeze(value);
  }

  const contract = deepFreeze(JSON.parse(document.getElementById("site-contract").textContent));
  const idPattern = new RegExp(contract.id_pattern);

  // --- DOM --------------------------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  // A new element with attributes and, optionally, text (never HTML).
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // --- data files -------------------------------------------------------------------------------

  // Where a data file lives: the contract's path, with a numbered file's number zero-padded.
  function dataPath(kind, n) {
    const file = Object.hasOwn(contract.files, kind) ? contract.files[kind] : null;
    if (!file) throw new Error("the site contract names no data file " + JSON.stringify(kind));
    if (!file.path.includes("{n}")) return file.path;
    if (!Number.isInteger(n) || n < 0) throw new Error(file.path + " needs a number >= 0, got " + n);
    return file.path.replace("{n}", String(n).padStart(file.digits, "0"));
  }

  // The data file, parsed; a clear Error when it cannot be fetched or holds another layout version.
  async function fetchData(kind, n) {
    const path = dataPath(kind, n);
    const response = await fetch(path);
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    let data;
    try {
      data = await response.json();
    } catch (err) {
      throw new Error(path + " is not valid JSON: rebuild the site with python build.py");
    }
    const wanted = contract.files[kind].version;
    const found = data !== null && typeof data === "object" ? data.version : undefined;
    if (found !== wanted) {
      throw new Error(path + (found === undefined ? " holds no layout version" : " holds layout version " + found) +
        ", this page reads version " + wanted + ": rebuild the site with python build.py");
    }
    return data;
  }

  // Neighbour shards are binary (sitegen/site/packed.py): a 20-byte header, then per model of the
  // catalogue index the indices (3 bytes each, little-endian; all ones: none) and the distance
  // bytes (lo + byte * step; 255: none). Returns {start, models: {name: {idx: [[...]], dist: [[...]]}}}.
  async function fetchNeighbours(n, models, k) {
    const path = dataPath("neighbours", n);
    const response = await fetch(path);
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    let buffer = await response.arrayBuffer();
    const head = new Uint8Array(buffer, 0, Math.min(2, buffer.byteLength));
    if (head[0] === 0x1f && head[1] === 0x8b) {  // stored gzipped: hosts send .bin files as they are
      buffer = await new Response(new Blob([buffer]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    }
    const bytes = new Uint8Array(buffer);
    const view = new DataView(bytes.buffer);
    const rebuild = ": rebuild the site with python build.py";
    const magic = bytes.length >= 20 ? String.fromCharCode(...bytes.subarray(0, 4)) : "";
    if (magic !== "MRNB") throw new Error(path + " is not a neighbour shard" + rebuild);
    const version = view.getUint8(4), width = view.getUint8(5), kk = view.getUint16(6, true);
    const start = view.getUint32(8, true), count = view.getUint32(12, true), nModels = view.getUint16(16, true);
    if (version !== contract.files.neighbours.version || width !== 3) {
      throw new Error(path + " holds layout version " + version + ", this page reads version " +
        contract.files.neighbours.version + rebuild);
    }
    const cells = count * kk;
    if (kk !== k || nModels !== models.length || bytes.length !== 20 + nModels * cells * 4) {
      throw new Error(path + " does not match the catalogue index" + rebuild);
    }
    const out = { start, models: {} };
    let at = 20;
    for (const model of models) {
      const idx = [], dist = [];
      for (let r = 0; r < count; r++) {
        const ir = [], dr = [];
        for (let c = 0; c < kk; c++) {
          const p = at + 3 * (r * kk + c);
          const j = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16);
          const q = bytes[at + 3 * cells + r * kk + c];
          ir.push(j === 0xffffff ? -1 : j);
          dr.push(q === 255 ? null : model.lo + q * model.step);
        }
        idx.push(ir);
        dist.push(dr);
      }
      out.models[model.name] = { idx, dist };
      at += 4 * cells;
    }
    return out;
  }

  // --- ids and addresses ------------------------------------------------------------------------

  function isId(id) {
    return typeof id === "string" && idPattern.test(id);
  }

  // "?a=1&b=x,y" from {a: 1, b: ["x", "y"]}; empty values are left out, lists joined by commas
  // (kept readable: a comma needs no escaping in a query).
  function query(params) {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v === null || v === undefined || v === "") continue;
      search.set(k, Array.isArray(v) ? v.join(",") : String(v));
    }
    const text = search.toString().replace(/%2C/g, ",");
    return text ? "?" + text : "";
  }

  // A page of the site by its contract key ("explore", "maps", "feed"), with query parameters.
  function pageUrl(key, params) {
    const file = Object.hasOwn(contract.pages, key) ? contract.pages[key] : null;
    if (!file) throw new Error("the site contract names no page " + JSON.stringify(key));
    return file + query(params);
  }

  function mangadexUrl(id) {
    return isId(id) ? contract.mangadex_title_url + id : new URL(contract.mangadex_title_url).origin + "/";
  }

  // The "MangaDex ↗" link beside a title.
  function mangadexLink(id, title) {
    return el("a", { href: mangadexUrl(id), class: "md", rel: "noopener", target: "_blank",
      "aria-label": "Open " + title + " on MangaDex" }, "MangaDex ↗");
  }

  // --- the page's URL ---------------------------------------------------------------------------

  function param(name) {
    return new URLSearchParams(location.search).get(name);
  }

  // Put params in the address bar: replaced (the default) or pushed as a new history entry.
  function setUrl(params, { push = false, state = history.state } = {}) {
    const url = query(params) || location.pathname;
    if (push) history.pushState(state, "", url);
    else history.replaceState(state, "", url);
  }

  // --- facts about a manga ----------------------------------------------------------------------

  // The known ones of `facts`, joined by " · ": null, undefined, "" and NaN are unknowns, left out.
  function known(facts) {
    return facts.filter((x) => x !== null && x !== undefined && x !== "" && !Number.isNaN(x)).join(" · ");
  }

  // "1,234 follows", or null when unknown. The catalogue stores a missing statistic as 0 follows
  // (a catalogue fetched without statistics has 0 for every manga), so 0 is never shown.
  function followsText(n) {
    return Number.isFinite(n) && n > 0 ? n.toLocaleString("en") + (n === 1 ? " follow" : " follows") : null;
  }

  // --- tag chips --------------------------------------------------------------------------------

  // Fill `list` (a <ul>) with chips for tag columns `tagIdx` of `tags` (catalogue.json's tags),
  // those in the Set `shared` highlighted. Returns the list.
  function tagChips(list, tags, tagIdx, shared) {
    list.replaceChildren(...tagIdx.map((t) =>
      el("li", { class: "tag g-" + tags[t].group + (shared && shared.has(t) ? " shared" : "") }, tags[t].name)));
    return list;
  }

  // --- the title combobox -----------------------------------------------------------------------

  // A title as the search compares it: case, accents (combining marks of Latin, Greek, Cyrillic;
  // kana voicing marks are kept, they change the word), full-width forms and apostrophes ignored,
  // every run of other punctuation and spaces one space, with one space in front so that a word
  // start is always " " + word. ASCII, most titles, takes a shorter path: Unicode normalization and
  // Unicode classes were most of the time of building the index for 110,000 manga.
  const ASCII = /^[\x00-\x7f]*$/;
  function fold(text) {
    const t = String(text);
    if (ASCII.test(t)) return " " + t.toLowerCase().replace(/['`]/g, "").replace(/[^a-z0-9]+/g, " ").trim();
    return " " + t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").normalize("NFKC").toLowerCase()
      .replace(/['\u2019\u02bc`]/g, "").replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }

  const MAX_RESULTS = 12;
  const UNICODE = { unicode: true, interSplit: "[^\\p{L}\\d']+", intraSplit: "\\p{Ll}\\p{Lu}",
    intraBound: "\\p{L}\\d|\\d\\p{L}|\\p{Ll}\\p{Lu}", intraChars: "[\\p{L}\\d']",
    intraContr: "'\\p{L}{1,2}\\b", intraMode: 1, intraIns: 1 };

  // Every title and alternative title of the manga `keys`, folded, in keys order, also joined in
  // one text ("\n" before and after each) that the browser's native indexOf scans in a few
  // milliseconds where a loop over 400,000 strings takes a hundred.
  // Returns { names, owner (position into keys of each name), alt (0: the title, a: alternative
  // title a - 1), text, starts (offset of each name in text, then text's length) }.
  function titleIndex(manga, keys) {
    const names = [], owner = [], alt = [];
    keys.forEach((i, p) => {
      names.push(fold(manga.title[i])); owner.push(p); alt.push(0);
      (manga.alt[i] || []).forEach((t, a) => { names.push(fold(t)); owner.push(p); alt.push(a + 1); });
    });
    const starts = new Int32Array(names.length + 1);
    let at = 1;
    names.forEach((name, n) => { starts[n] = at; at += name.length + 1; });
    starts[names.length] = at;
    return { names, owner: Int32Array.from(owner), alt: Int32Array.from(alt), text: "\n" + names.join("\n") + "\n", starts };
  }

  // Every name holding `pattern`, in order, until visit(n) returns true.
  function scan(index, pattern, skip, visit) {
    const { text, starts } = index;
    let n = 0;
    for (let at = text.indexOf(pattern); at >= 0; at = text.indexOf(pattern, starts[n + 1] - skip)) {
      at += skip;  // the offset of the match inside the names (past a leading "\n")
      while (starts[n + 1] <= at) n++;
      if (visit(n)) return;
    }
  }

  // The best MAX_RESULTS manga for `needle`: a whole title, then a title's start, then every query
  // word starting a title word, then the query inside a title (scripts written without spaces),
  // then typos (uFuzzy); each tier in keys order (most followed first). A manga ranks by its best
  // name. Returns [{ p: position into keys, n: the matched name }].
  function rank(index, fuzzy, needle) {
    const q = fold(needle);
    if (q === " ") return [];
    const words = q.slice(1).split(" ");
    const longest = words.reduce((a, b) => (b.length > a.length ? b : a));
    const { names, owner } = index;
    const seen = new Map();  // position -> matched name, best first
    const tiers = [[], [], [], []];
    const add = (t, n) => {
      if (seen.has(owner[n])) return false;
      seen.set(owner[n], n);
      tiers[t].push(owner[n]);
      return true;
    };
    scan(index, "\n" + q + "\n", 1, (n) => { add(0, n); });
    scan(index, "\n" + q, 1, (n) => { add(1, n); });
    const need = MAX_RESULTS - seen.size;
    if (need > 0) {
      // Words, then inside: enough word matches end the scan, as those come before any inside match.
      scan(index, longest, 0, (n) => {
        const name = names[n];
        if (words.every((w) => name.includes(" " + w))) add(2, n);
        else if (name.includes(q.slice(1)) && !seen.has(owner[n])) tiers[3].push(-1 - n);  // kept apart: a better name may follow
        return tiers[2].length >= need;
      });
      tiers[3] = tiers[3].map((m) => -1 - m).filter((n) => add(3, n)).map((n) => owner[n]);
    }
    const out = [];
    for (const tier of tiers) {
      tier.sort((a, b) => a - b);
      for (const p of tier) if (out.length < MAX_RESULTS) out.push({ p, n: seen.get(p) });
    }
    if (out.length < MAX_RESULTS) {  // too few plain matches: allow a typo
      for (const n of fuzzy.filter(names, q.slice(1)) || []) {  // names are in keys order: follows order
        if (seen.has(owner[n])) continue;
        seen.set(owner[n], n);
        out.push({ p: owner[n], n });
        if (out.length >= MAX_RESULTS) break;
      }
    }
    return out;
  }

  // A keyboard-usable combobox over titles and alternative titles in any script; the matched
  // alternative title is shown beside the title. Enter picks the highlighted result, the first
  // one unless the arrows moved.
  // input, list: the text box and its listbox; prefix: option id prefix; manga: catalogue.json's
  // column arrays; keys: the catalogue indices to search, in catalogue order (most followed
  // first); meta(i): optional text beside a title; onChoose(i, position);
  // onResults(found, needle, max). Returns { close, search }.
  function titleSearch({ input, list, prefix, manga, keys, meta, onChoose, onResults }) {
    const built = performance.now();
    const index = titleIndex(manga, keys);
    performance.measure("title index", { start: built });  // the wait before the first search
    const fuzzy = new uFuzzy(UNICODE);
    let results = [];  // [{p, n}]
    let active = -1;
    let pending = 0;
    let shownFor = null;  // the text box's value the results are for

    function highlight() {
      Array.from(list.children).forEach((li, n) => li.setAttribute("aria-selected", String(n === active)));
      if (active >= 0) input.setAttribute("aria-activedescendant", prefix + active);
      else input.removeAttribute("aria-activedescendant");
    }

    function option(r, n) {
      const i = keys[r.p];
      const li = el("li", { role: "option", id: prefix + n, "data-index": String(i) });
      const name = el("span", { class: "r-name" });
      name.append(el("span", { class: "r-title", dir: "auto" }, manga.title[i]));
      const a = index.alt[r.n];
      if (a) name.append(el("span", { class: "r-alt", dir: "auto" }, manga.alt[i][a - 1]));
      li.append(name);
      const text = meta ? meta(i) : "";
      if (text) li.append(el("span", { class: "r-meta" }, text));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(r); });
      return li;
    }

    function show(found) {
      results = found;
      active = found.length ? 0 : -1;
      list.replaceChildren(...found.map(option));
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
      highlight();
    }

    function choose(r) {
      show([]);
      onChoose(keys[r.p], r.p);
    }

    function run() {
      const start = performance.now();
      cancelAnimationFrame(pending);
      shownFor = input.value;
      const found = rank(index, fuzzy, input.value);
      show(found);
      if (onResults) onResults(found.length, input.value.trim(), MAX_RESULTS);
      performance.measure("title search", { start });  // read by benchmarks/reader.py
    }

    input.addEventListener("input", () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(run);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        if (!input.value.trim()) return;
        if (shownFor !== input.value || list.hidden) run();  // typed faster than a frame: search now
        if (results.length) choose(results[Math.max(0, active)]);
        e.preventDefault();
        return;
      }
      if (list.hidden) return;
      if (e.key === "ArrowDown") { active = Math.min(results.length - 1, active + 1); highlight(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(0, active - 1); highlight(); e.preventDefault(); }
      else if (e.key === "Escape") show([]);
    });
    // Closed a moment after the box loses focus (a click on a result lands first), unless the
    // reader is back in the box by then: a pick moves focus away, and typing again must not be
    // undone by the pick's late close.
    input.addEventListener("blur", () => setTimeout(() => { if (document.activeElement !== input) show([]); }, 100));
    if (document.activeElement === input && input.value.trim()) run();  // typed while the titles loaded
    return { close: () => show([]), search: (needle) => rank(index, fuzzy, needle).map((r) => keys[r.p]) };
  }

  window.Site = Object.freeze({
    contract, $, el, dataPath, fetchData, fetchNeighbours, isId, query, pageUrl, mangadexUrl, mangadexLink,
    param, setUrl, known, followsText, tagChips, titleSearch,
  });
})();
