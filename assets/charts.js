// Chart downloads (PNG and SVG) at report resolution, drawn in the browser from the chart
// on the page, with a margin so nothing touches the image's edge. Nothing leaves the
// machine: plotly renders the image locally and the browser saves it.
// "offer-title-ncx-rate-vs-similar-offers-2026-10-31": the chart's title and as-of day.
function fileName(gd, fallback) {
  var text = ((gd.layout.title || {}).text || "");
  var plain = function (s) { return s.replace(/<[^>]*>/g, " ").replace(/&[#a-z0-9]+;/gi, " "); };
  var day = (plain(text).match(/\d{4}-\d{2}-\d{2}/) || [""])[0];
  var name = plain(text.split("<br>")[0]).toLowerCase()
    .replace(/[^a-z0-9\u00c0-\u024f]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 80);
  return [name || fallback, day].filter(Boolean).join("-");
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  charts: {
    download: function () {
      var ctx = window.dash_clientside.callback_context;
      if (!ctx.triggered.length || !ctx.triggered[0].value) {
        return window.dash_clientside.no_update;
      }
      var id = JSON.parse(ctx.triggered[0].prop_id.split(".")[0]);
      var gd = document.querySelector("#" + id.graph + " .js-plotly-plot");
      if (!gd || !gd.data) { return window.dash_clientside.no_update; }
      var width = 1600;  // px; PNG at scale 2 is 3200 px wide: ~300 dpi across 27 cm
      var height = Math.round(width * gd.clientHeight / Math.max(gd.clientWidth, 1));
      var layout = JSON.parse(JSON.stringify(gd.layout));
      var m = layout.margin || {};
      var full = gd._fullLayout.margin;
      layout.margin = {l: (m.l || full.l) + 24, r: (m.r || full.r) + 24,
                       t: (m.t || full.t) + 16, b: (m.b || full.b) + 24};
      layout.width = width;
      layout.height = height;
      var scale = id.format === "png" ? 2 : 1;
      window.Plotly.toImage({data: gd.data, layout: layout, config: {}},
                            {format: id.format, width: width, height: height, scale: scale})
        .then(function (url) {
          var a = document.createElement("a");
          a.href = url;
          a.download = fileName(gd, id.graph) + "." + id.format;
          document.body.appendChild(a);
          a.click();
          a.remove();
        });
      return Date.now();
    }
  }
});
