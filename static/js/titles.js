// The title search every page with a search box shares (Explore, Feed, Maps): folding a title as
// the build does (sitegen/site/titles.py), finding a query's fragment of the split title index,
// ranking titles and alternative titles in any script, and the keyboard combobox over them.
// Catalogue text is inserted as text (textContent), never as HTML.
(function () {
  "use strict";

  const { el, catalogue, fetchData } = Site;

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

  // The search index is split by key (sitegen/site/titles.py, which says why): a folded word of a
  // script written with spaces has its first KEY letters as key, each character of a script written
  // without them (Han, kana, Hangul, Thai) is a key. Keys are hashed (FNV-1a over code points) into
  // the index's buckets; a query fetches the fragment of its most telling key only.
  const NO_SPACE = /[\u0e00-\u0e7f\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u{20000}-\u{3134f}]/u;

  function bucketOf(key, buckets) {
    let h = 0x811c9dc5;
    for (const ch of key) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
    return h % buckets;
  }

  // The fragment of a key: the build placed the heaviest keys apart, the others are hashed.
  const fragmentOf = (key, layout) => (Object.hasOwn(layout.placed, key) ? layout.placed[key] : bucketOf(key, layout.buckets));

  // The key whose fragment the query `q` (folded) needs: its longest word's (ties: the last), the
  // word's shortest prefix that is not a stop key; for a word without spaces, its first character that is not a stop key; for a query of
  // short words only, its first word (titles of short words only are kept under it). null: none
  // (a query of stop keys only), answered from the top fragment alone.
  function queryKey(q, layout) {
    const stop = new Set(layout.stop);
    let best = null, bestLength = 0;
    for (const word of q.slice(1).split(" ")) {
      const chars = Array.from(word);
      if (!chars.length) continue;
      let key = null;
      if (NO_SPACE.test(chars[0])) key = chars.find((c) => NO_SPACE.test(c) && !stop.has(c)) || null;
      else {  // its shortest prefix of key_letters or more that is not stopped ("hero" when "her" is)
        for (let size = layout.key_letters; size <= chars.length && key === null; size++) {
          if (!stop.has(chars.slice(0, size).join(""))) key = chars.slice(0, size).join("");
        }
      }
      if (key !== null && !stop.has(key) && chars.length >= bestLength) { best = key; bestLength = chars.length; }
    }
    const first = q.slice(1).split(" ")[0];
    // a query of short words: the titles of short words only are under their first word, whole
    if (best === null && first && !NO_SPACE.test(first) && Array.from(first).length < layout.key_letters) best = first;
    return best;
  }

  const MAX_RESULTS = 12;
  const UNICODE = { unicode: true, interSplit: "[^\\p{L}\\d']+", intraSplit: "\\p{Ll}\\p{Lu}",
    intraBound: "\\p{L}\\d|\\d\\p{L}|\\p{Ll}\\p{Lu}", intraChars: "[\\p{L}\\d']",
    intraContr: "'\\p{L}{1,2}\\b", intraMode: 1, intraIns: 1 };

  // Fragment entries ([index, year, follows, title, [names]]) of several fragments as one list,
  // most followed first (then by index), each manga once with all its names.
  function mergeEntries(...lists) {
    const byIndex = new Map();
    for (const list of lists) {
      for (const [i, year, follows, title, names] of list) {
        const had = byIndex.get(i);
        if (had) names.forEach((n) => { if (!had[4].includes(n)) had[4].push(n); });
        else byIndex.set(i, [i, year, follows, title, names.filter((n) => n !== title)]);
      }
    }
    return Array.from(byIndex.values()).sort((x, y) => (y[2] || 0) - (x[2] || 0) || x[0] - y[0]);
  }

  // Every title and alternative title of `entries`, folded, in entries order, also joined in one
  // text ("\n" before and after each) that the browser's native indexOf scans in a few
  // milliseconds. Returns { entries, names, owner (position into entries of each name), alt (0:
  // the title, a: entries[p][4][a - 1]), text, starts (offset of each name in text, then its length) }.
  function titleIndex(entries) {
    const names = [], owner = [], alt = [];
    entries.forEach((e, p) => {
      names.push(fold(e[3])); owner.push(p); alt.push(0);
      e[4].forEach((t, a) => { names.push(fold(t)); owner.push(p); alt.push(a + 1); });
    });
    const starts = new Int32Array(names.length + 1);
    let at = 1;
    names.forEach((name, n) => { starts[n] = at; at += name.length + 1; });
    starts[names.length] = at;
    return { entries, names, owner: Int32Array.from(owner), alt: Int32Array.from(alt),
      text: "\n" + names.join("\n") + "\n", starts };
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

  // The best `max` manga for `needle`: a whole title, then a title's start, then every query word
  // starting a title word, then the query inside a title (scripts written without spaces), then
  // typos (uFuzzy); each tier most followed first. A manga ranks by its best
  // name. Returns [{ p: position into index.entries, n: the matched name }].
  function rank(index, fuzzy, needle, max = MAX_RESULTS) {
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
    const need = max - seen.size;
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
      for (const p of tier) if (out.length < max) out.push({ p, n: seen.get(p) });
    }
    if (out.length < max) {  // too few plain matches: allow a typo
      for (const n of fuzzy.filter(names, q.slice(1)) || []) {  // names are in entries order: most followed first
        if (seen.has(owner[n])) continue;
        seen.set(owner[n], n);
        out.push({ p: owner[n], n });
        if (out.length >= max) break;
      }
    }
    return out;
  }

  // The index a query searches: the top fragment's (the most followed manga) merged with the
  // fragment of the query's key, fetched once each. Returns a promise.
  const indexes = new Map();  // bucket (or "top") -> promise of its title index
  function indexFor(needle, layout) {
    const key = queryKey(fold(needle), layout);
    const b = key === null ? "top" : fragmentOf(key, layout);
    if (!indexes.has(b)) {
      const parts = [fetchData("titles_top")].concat(b === "top" ? [] : [fetchData("titles", b)]);
      const loading = Promise.all(parts).then((files) => titleIndex(mergeEntries(...files.map((f) => f.manga))));
      indexes.set(b, loading);
      loading.catch(() => indexes.delete(b));
    }
    return indexes.get(b);
  }

  // Catalogue indices of the manga matching `needle` (at most `max`, best first), with the name
  // each matched by: [{ i, title, name (the matched alternative title, or null), year, follows }].
  async function findTitles(needle, max = MAX_RESULTS) {
    const cat = await catalogue();
    const index = await indexFor(needle, cat.titles);
    return rank(index, fuzzyFor(), needle, max).map(({ p, n }) => {
      const [i, year, follows, title, names] = index.entries[p];
      return { i, title, name: index.alt[n] ? names[index.alt[n] - 1] : null, year, follows };
    });
  }
  let fuzzy = null;
  const fuzzyFor = () => fuzzy || (fuzzy = new uFuzzy(UNICODE));

  // A keyboard-usable combobox over titles and alternative titles in any script; the matched
  // alternative title is shown beside the title. Enter picks the highlighted result, the first
  // one unless the arrows moved. The index loads by fragment as the reader types (findTitles).
  // input, list: the text box and its listbox; prefix: option id prefix; meta(result): optional
  // text beside a title; onChoose(i, result); onResults(found, needle, max, error).
  // Returns { close }.
  function titleSearch({ input, list, prefix, meta, onChoose, onResults }) {
    let results = [];  // findTitles' results
    let active = -1;
    let pending = 0;
    let running = Promise.resolve();
    let asked = 0;  // searches started; a slower earlier answer is dropped
    let shownFor = null;  // the text box's value the results are for

    function highlight() {
      Array.from(list.children).forEach((li, n) => li.setAttribute("aria-selected", String(n === active)));
      if (active >= 0) input.setAttribute("aria-activedescendant", prefix + active);
      else input.removeAttribute("aria-activedescendant");
    }

    function option(r, n) {
      const li = el("li", { role: "option", id: prefix + n, "data-index": String(r.i) });
      const name = el("span", { class: "r-name" });
      name.append(el("span", { class: "r-title", dir: "auto" }, r.title));
      if (r.name) name.append(el("span", { class: "r-alt", dir: "auto" }, r.name));
      li.append(name);
      const text = meta ? meta(r) : "";
      if (text) li.append(el("span", { class: "r-meta" }, text));
      li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(r); });
      return li;
    }

    function show(found, value = "") {
      list.dataset.for = value;  // the text the results are for (a test or benchmark waits on it)
      results = found;
      active = found.length ? 0 : -1;
      list.replaceChildren(...found.map(option));
      list.hidden = found.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
      highlight();
    }

    function choose(r) {
      show([]);
      onChoose(r.i, r);
    }

    function run() {
      cancelAnimationFrame(pending);
      const value = input.value, ticket = ++asked;
      const start = performance.now();
      running = findTitles(value).then((found) => {
        if (ticket !== asked) return;
        shownFor = value;
        show(found, value);
        if (onResults) onResults(found.length, value.trim(), MAX_RESULTS);
        performance.measure("title search", { start });  // read by benchmarks/reader.py
      }, (err) => {
        if (ticket === asked && onResults) onResults(0, value.trim(), MAX_RESULTS, err);
      });
      return running;
    }

    input.addEventListener("input", () => {
      cancelAnimationFrame(pending);
      pending = requestAnimationFrame(run);
    });
    input.addEventListener("keydown", async (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        if (!input.value.trim()) return;
        const value = input.value;
        if (shownFor !== value || list.hidden) await run();  // typed faster than the search: search now
        if (input.value === value && results.length) choose(results[Math.max(0, active)]);
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
    if (document.activeElement === input && input.value.trim()) run();  // typed while the page loaded
    return { close: () => show([]) };
  }

  window.Titles = Object.freeze({ fold, queryKey, bucketOf, fragmentOf, findTitles, titleSearch });
})();
