// The selected offer, shown and highlighted in the offers grid (callbacks/offers.py).
// The grid pages rows from the server and may still be applying a sort from the link
// when the focus arrives, so the focus waits on the grid: each time its rows change it
// tries again, until the grid holds the focus's sort and the row has its data.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  grid: {
    focus: function (focus, scrolled) {
      if (!focus) { return window.dash_clientside.no_update; }
      dash_ag_grid.getApiAsync("offers-grid").then(function (api) {
        var state = {focus: focus, scroll: focus.key !== scrolled};
        var sortOf = function () {
          return api.getColumnState().filter(function (c) { return c.sort; })
            .map(function (c) { return c.colId + ":" + c.sort; })[0] || "";
        };
        var attempt = function () {
          var f = state.focus;
          if (api.isDestroyed() || api.__vocFocus !== state) { return; }
          if (!f.key || f.index === null) { api.deselectAll(); return; }
          if (sortOf() !== (f.sort || "")) { return; }  // the link's sort is on its way
          if (state.scroll && api.getDisplayedRowCount() > f.index) {
            api.ensureIndexVisible(f.index, "middle");
            state.scroll = false;
          }
          var node = api.getRowNode(f.key);
          if (node && node.data && !node.isSelected()) { node.setSelected(true, true); }
        };
        api.__vocFocus = state;  // a newer focus replaces an older one
        if (!api.__vocFocusListener) {
          api.__vocFocusListener = function () {
            if (api.__vocFocus && api.__vocFocus.retry) { api.__vocFocus.retry(); }
          };
          api.addEventListener("modelUpdated", api.__vocFocusListener);
          api.addEventListener("sortChanged", api.__vocFocusListener);
        }
        state.retry = attempt;
        attempt();
      });
      return focus.key;
    }
  }
});
