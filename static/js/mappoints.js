// Maps page: what the page draws itself over and under Plotly's plot (read by static/js/plots.js):
// the manga's points where WebGL is slow or missing, and the cluster labels.
//
// Points.
// Plotly's WebGL scatter is the fast way to draw 110,000 points where a GPU draws them. Where
// WebGL is software (SwiftShader, llvmpipe: a browser without a usable GPU) it is the slowest:
// one frame of 110,000 points took 0.8–1.8 s there (measured; its context and shaders another
// 0.5 s), while writing the points' pixels into a 2-D canvas takes 15–25 ms. So there, and where
// there is no WebGL at all, the points are painted on a canvas under the plot, and Plotly keeps
// the axes, pan and zoom, the legend (one empty trace per colour), box and lasso selection and
// the search rings. Either way every manga is drawn.
(function () {
  "use strict";

  // "webgl" or "canvas" (see above).
  function choose() {
    try {
      const gl = document.createElement("canvas").getContext("webgl");
      if (!gl) return "canvas";
      const info = gl.getExtension("WEBGL_debug_renderer_info");
      const name = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
      const lose = gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext();  // the probe's context is not needed any more
      return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(name) ? "canvas" : "webgl";
    } catch (err) {
      return "canvas";
    }
  }

  // [r, g, b, a] (0-255, 0-1) of a CSS colour as the palette and getComputedStyle write them:
  // "#rrggbb", "rgb(r, g, b)" or "rgba(r, g, b, a)".
  function rgba(colour) {
    if (colour[0] === "#") return [1, 3, 5].map((k) => parseInt(colour.slice(k, k + 2), 16)).concat([1]);
    const parts = colour.replace(/[^\d.,]/g, "").split(",").map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  }

  // The pixels a disc of `diameter` device pixels covers around a pixel, with their coverage:
  // [dx, dy, alpha, ...].
  function stamp(diameter) {
    const r = diameter / 2, reach = Math.ceil(r), out = [];
    for (let dy = -reach; dy <= reach; dy++) {
      for (let dx = -reach; dx <= reach; dx++) {
        const cover = Math.min(1, Math.max(0, r + 0.5 - Math.hypot(dx, dy)));
        if (cover > 0) out.push(dx, dy, cover);
      }
    }
    return out;
  }

  // A canvas that covers the plot's inside (under Plotly's transparent layers).
  function layer(plot) {
    const canvas = document.createElement("canvas");
    canvas.className = "plot-points";
    plot.parentNode.insertBefore(canvas, plot);
    const ctx = canvas.getContext("2d");

    // Paint the points of `cats` (in drawing order: [{members, colour}]) of map {x, y} for plot
    // area `size` ({l, t, w, h}, CSS pixels) and axis ranges xr, yr; hidden categories skipped.
    // Returns how many points are inside the view.
    function paint({ map, cats, size, xr, yr, diameter }) {
      const dpr = window.devicePixelRatio || 1;
      const cw = Math.round(plot.clientWidth * dpr), ch = Math.round(plot.clientHeight * dpr);
      Object.assign(canvas.style, { left: plot.offsetLeft + plot.clientLeft + "px", top: plot.offsetTop + plot.clientTop + "px",
        width: plot.clientWidth + "px", height: plot.clientHeight + "px" });
      if (canvas.width !== cw || canvas.height !== ch) { canvas.width = cw; canvas.height = ch; }
      const w = Math.max(1, Math.round(size.w * dpr)), h = Math.max(1, Math.round(size.h * dpr));
      const image = ctx.createImageData(w, h), data = image.data;
      // points over the canvas's own (opaque) background: a blend is then three multiply-adds
      const [br, bg, bb] = rgba(getComputedStyle(canvas).backgroundColor);
      new Uint32Array(data.buffer).fill(((255 << 24) | (bb << 16) | (bg << 8) | br) >>> 0);  // RGBA bytes, little-endian
      const sx = w / (xr[1] - xr[0]), sy = h / (yr[1] - yr[0]);
      const disc = stamp(diameter * dpr), reach = Math.ceil(diameter * dpr / 2);
      let inView = 0;
      for (const { members, colour } of cats) {
        const [r, g, b, a] = rgba(colour);
        for (let k = 0; k < members.length; k++) {
          const i = members[k];
          const px = Math.round((map.x[i] - xr[0]) * sx), py = Math.round((yr[1] - map.y[i]) * sy);
          if (px < -reach || py < -reach || px >= w + reach || py >= h + reach) continue;
          inView++;
          for (let s = 0; s < disc.length; s += 3) {
            const x = px + disc[s], y = py + disc[s + 1];
            if (x < 0 || y < 0 || x >= w || y >= h) continue;
            const o = (y * w + x) * 4, alpha = a * disc[s + 2];
            data[o] += (r - data[o]) * alpha;
            data[o + 1] += (g - data[o + 1]) * alpha;
            data[o + 2] += (b - data[o + 2]) * alpha;
          }
        }
      }
      ctx.putImageData(image, Math.round(size.l * dpr), Math.round(size.t * dpr));
      return inView;
    }

    function clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
    }

    return { paint, clear, canvas };
  }

  // Labels are HTML over the plot, not Plotly annotations: a relayout with new annotations redraws
  // all 110,000 points (about a second with software WebGL, measured), while placing a few dozen
  // elements takes a millisecond, so labels follow every step of a pan or zoom.
  function labels(plot, layer) {
    const measure = document.createElement("canvas").getContext("2d");
    const widths = new Map();  // "size/text" -> its width in pixels

    function textWidth(text, fontSize) {
      const key = fontSize + "/" + text;
      if (!widths.has(key)) {
        measure.font = "600 " + fontSize + "px system-ui, sans-serif";
        widths.set(key, measure.measureText(text).width);
      }
      return widths.get(key);
    }

    // Greedy placement on screen: coarse labels first, bigger clusters first (the build's order);
    // a label that would overlap one already placed, or the legend, or leave the plot, is left
    // out; fine labels join when `fine`. Positions come from the axes' current ranges, which
    // Plotly updates during a drag. Returns how many are shown.
    function place(all, names, fine) {
      const fl = plot._fullLayout, size = fl._size, xr = fl.xaxis.range, yr = fl.yaxis.range;
      const toX = (x) => (x - xr[0]) / (xr[1] - xr[0]) * size.w, toY = (y) => (yr[1] - y) / (yr[1] - yr[0]) * size.h;
      const placed = [], spans = [];
      const legend = plot.querySelector(".legend");  // labels keep off the legend too
      if (legend) {
        const r = legend.getBoundingClientRect(), box = plot.getBoundingClientRect();
        const l = r.left - box.left - plot.clientLeft - size.l, t = r.top - box.top - plot.clientTop - size.t;
        placed.push({ l, r: l + r.width, t, b: t + r.height });
      }
      for (const label of all) {
        if (label.level > 0 && !fine) continue;
        const px = toX(label.x), py = toY(label.y);
        const text = names(label), fontSize = label.level ? 11 : 13;
        const w = Math.ceil(textWidth(text, fontSize)) + 8, h = fontSize + 8;
        const box = { l: px - w / 2, r: px + w / 2, t: py - h / 2, b: py + h / 2 };
        if (box.l < 0 || box.r > size.w || box.t < 0 || box.b > size.h) continue;
        if (placed.some((o) => box.l < o.r && o.l < box.r && box.t < o.b && o.t < box.b)) continue;
        placed.push(box);
        const span = Site.el("span", { class: "plot-label" + (label.level ? " fine" : ""), dir: "auto" }, text);
        span.style.cssText = "left:" + box.l + "px;top:" + box.t + "px;width:" + w + "px;height:" + h + "px;font-size:" + fontSize + "px";
        spans.push(span);
      }
      // the layer covers the plotting area (inside the plot's border and Plotly's margins)
      Object.assign(layer.style, { left: plot.offsetLeft + plot.clientLeft + size.l + "px",
        top: plot.offsetTop + plot.clientTop + size.t + "px", width: size.w + "px", height: size.h + "px" });
      layer.replaceChildren(...spans);
      return spans.length;
    }

    return { place, clear: () => layer.replaceChildren() };
  }

  window.MapPoints = Object.freeze({ choose, layer, labels, rgba, stamp });
})();
