// Maps page: which renderer draws the manga, and the 2-D canvas one (read by static/js/plots.js).
//
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

  // [r, g, b, a] (0-255, 0-1) of a CSS colour as the palette writes them: "#rrggbb" or "rgba(r, g, b, a)".
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
      if (canvas.width !== cw || canvas.height !== ch) { canvas.width = cw; canvas.height = ch; } else ctx.clearRect(0, 0, cw, ch);
      const w = Math.max(1, Math.round(size.w * dpr)), h = Math.max(1, Math.round(size.h * dpr));
      const image = ctx.createImageData(w, h), data = image.data;
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
            const o = (y * w + x) * 4, alpha = a * disc[s + 2], keep = data[o + 3] / 255 * (1 - alpha);
            const out = alpha + keep;  // source over what is there (straight alpha, as ImageData holds)
            data[o] = (r * alpha + data[o] * keep) / out;
            data[o + 1] = (g * alpha + data[o + 1] * keep) / out;
            data[o + 2] = (b * alpha + data[o + 2] * keep) / out;
            data[o + 3] = out * 255;
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

  window.MapPoints = Object.freeze({ choose, layer, rgba, stamp });
})();
