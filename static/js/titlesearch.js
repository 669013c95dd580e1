// A keyboard-usable title combobox shared by Explore, Maps and Feed: fuzzy matching over titles
// and alternative titles in any script (vendored uFuzzy), options inserted as text only.
const TitleSearch = (function () {
  "use strict";

  const MAX_RESULTS = 12;
  const UNICODE = { unicode: true, interSplit: "[^\\p{L}\\d']+", intraSplit: "\\p{Ll}\\p{Lu}",
    intraBound: "\\p{L}\\d|\\d\\p{L}|\\p{Ll}\\p{Lu}", intraChars: "[\\p{L}\\d']",
    intraContr: "'\\p{L}{1,2}\\b", intraMode: 1, intraIns: 1 };

  function option(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  // input, list: the text box and its listbox; prefix: option id prefix; manga: catalogue.json's
  // column arrays; keys: the catalogue indices to search, in catalogue order (most followed
  // first); meta(i): optional text beside a title; onChoose(i, position); onResults(found, needle).
  function attach({ input, list, prefix, manga, keys, meta, onChoose, onResults }) {
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
        const li = option("li", { role: "option", id: prefix + n, "data-index": String(i) });
        li.append(option("span", { class: "r-title" }, manga.title[i]));
        if (meta) li.append(option("span", { class: "r-meta" }, meta(i)));
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

  return { attach };
})();
