// Cell renderers for the offers grid. Values are rendered as React text, never as HTML.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

var HEALTH_LABELS = {
  excellent: "Excellent", good: "Good", fair: "Fair", poor: "Poor", very_poor: "Very poor",
  insufficient_feedback: "Insufficient feedback", no_recent_sales: "No recent sales",
  listing_deleted: "Listing deleted"
};

// The shown level as a badge; a deleted listing in grey, its last health in words beside.
dagcomponentfuncs.HealthBadge = function (props) {
  var data = props.data;
  if (!data || !data.shown_health) { return null; }
  var badge = React.createElement("span", {key: "b", className: "health-badge health-" + data.shown_health},
    HEALTH_LABELS[data.shown_health] || data.shown_health);
  if (data.shown_health !== "listing_deleted") { return badge; }
  return React.createElement("span", {className: "deleted-cell", title: "Health on the day it was deleted"}, [
    badge,
    React.createElement("span", {key: "w", className: "was"}, "was " + (HEALTH_LABELS[data.health] || data.health).toLowerCase())
  ]);
};

// "Resolve issue" where the marketplace closed the offer for its NCX rate.
dagcomponentfuncs.ActionCell = function (props) {
  var data = props.data;
  if (!data || !data.action_required) { return null; }
  return React.createElement("button", {
    className: "btn btn-sm btn-outline-danger resolve-button py-0",
    title: "Action required: closed for a high NCX rate. See what customers reported.",
    onClick: function (event) {
      event.stopPropagation();
      props.setData({action: "resolve", key: data.key});
    }
  }, "Resolve issue");
};
