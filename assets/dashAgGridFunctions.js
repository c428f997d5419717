// Listeners of the offers grid (eventListeners in layouts/page.py). Each reports to the
// page state through the grid's eventData (callbacks/page_state.py grid_event).
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

// A sort the user chose on a column header ("column:asc|desc", "" for worst first).
// Sorts the page applies itself (from a link) have another source and are not reported.
dagfuncs.sortChosen = function (params, setEventData) {
  if (params.source !== "uiColumnSorted") { return; }
  var sorted = params.api.getColumnState().filter(function (c) { return c.sort; });
  setEventData({kind: "sort", sort: sorted.length ? sorted[0].colId + ":" + sorted[0].sort : ""});
};

// Enter or Space on a row opens the offer, as a click does.
dagfuncs.rowOpened = function (params, setEventData) {
  var key = params.event && params.event.key;
  if ((key !== "Enter" && key !== " ") || !params.data || !params.data.key) { return; }
  if (params.column && params.column.getColId() === "action") { return; }  // the Resolve button
  params.event.preventDefault();
  params.node.setSelected(true, true);
  setEventData({kind: "open", key: params.data.key});
};
