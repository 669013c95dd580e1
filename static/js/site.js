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
    const bytes = new Uint8Array(await response.arrayBuffer());
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

  // --- tag chips --------------------------------------------------------------------------------

  // Fill `list` (a <ul>) with chips for tag columns `tagIdx` of `tags` (catalogue.json's tags),
  // those in the Set `shared` highlighted. Returns the list.
  function tagChips(list, tags, tagIdx, shared) {
    list.replaceChildren(...tagIdx.map((t) =>
      el("li", { class: "tag g-" + tags[t].group + (shared && shared.has(t) ? " shared" : "") }, tags[t].name)));
    return list;
  }

  // --- the title combobox -----------------------------------------------------------------------

  // A keyboard-usable combobox over titles and alternative titles in any script (vendored uFuzzy).
  const MAX_RESULTS = 12;
  const UNICODE = { unicode: true, interSplit: "[^\\p{L}\\d']+", intraSplit: "\\p{Ll}\\p{Lu}",
    intraBound: "\\p{L}\\d|\\d\\p{L}|\\p{Ll}\\p{Lu}", intraChars: "[\\p{L}\\d']",
    intraContr: "'\\p{L}{1,2}\\b", intraMode: 1, intraIns: 1 };

  // input, list: the text box and its listbox; prefix: option id prefix; manga: catalogue.json's
  // column arrays; keys: the catalogue indices to search, in catalogue order (most followed
  // first); meta(i): optional text beside a title; onChoose(i, position);
  // onResults(found, needle, max). Returns { close }.
  function titleSearch({ input, list, prefix, manga, keys, meta, onChoose, onResults }) {
    const haystack = keys.map((i) => [manga.title[i]].concat(manga.alt[i]).join(" \u2022 "));
    const fuzzy = new uFuzzy(UNICODE);
    let results = [];  // positions into keys
    let active = -1;
    let pending = 0;

    function search(needle) {
      needle = needle.trim();
      if (!needle) return [];
      const [idxs, info, order] = fuzzy.search(haystack, needle, 1, 1000);
      if (!idxs) return [];
      if (order) return order.slice(0, MAX_RESULTS).map((o) => info.idx[o]);
      return idxs.slice().sort((a, b) => a - b).slice(0, MAX_RESULTS);  // too many to rank: most followed
    }

    function highlight() {
      Array.from(list.children).forEach((li, n) => li.setAttribute("aria-selected", String(n === active)));
      if (active >= 0) input.setAttribute("aria-activedescendant", prefix + active);
      else input.removeAttribute("aria-activedescendant");
    }

    function show(positions) {
      results = positions;
      active = positions.length ? 0 : -1;
      list.replaceChildren();
      positions.forEach((p, n) => {
        const i = keys[p];
        const li = el("li", { role: "option", id: prefix + n, "data-index": String(i) });
        li.append(el("span", { class: "r-title", dir: "auto" }, manga.title[i]));
        if (meta) li.append(el("span", { class: "r-meta" }, meta(i)));
        li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(p); });
        list.append(li);
      });
      list.hidden = positions.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
      highlight();
    }

    function choose(p) {
      show([]);
      onChoose(keys[p], p);
    }

    input.addEventListener("input", () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(() => {
        const found = search(input.value);
        show(found);
        if (onResults) onResults(found.length, input.value.trim(), MAX_RESULTS);
      });
    });
    input.addEventListener("keydown", (e) => {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { active = Math.min(results.length - 1, active + 1); highlight(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(0, active - 1); highlight(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { choose(results[active]); e.preventDefault(); }
      else if (e.key === "Escape") show([]);
    });
    input.addEventListener("blur", () => setTimeout(() => show([]), 100));
    return { close: () => show([]) };
  }

  window.Site = Object.freeze({
    contract, $, el, dataPath, fetchData, fetchNeighbours, isId, query, pageUrl, mangadexUrl, mangadexLink,
    param, setUrl, tagChips, titleSearch,
  });
})();
