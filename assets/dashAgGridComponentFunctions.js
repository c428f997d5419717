// Cell renderers for the offers grid. Values are rendered as React text, never as HTML.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

var HEALTH_LABELS = {
  excellent: "Excellent", good: "Good", fair: "Fair", poor: "Poor", very_poor: "Very poor",
  insufficient_feedback: "Insufficient feedback", no_recent_sales: "No recent sales"
};

dagcomponentfuncs.HealthBadge = function (props) {
  if (!props.value) { return null; }
  var level = props.data && props.data.status === "deleted" ? props.value : props.value;
  return React.createElement("span", {className: "health-badge health-" + level},
    HEALTH_LABELS[props.value] || props.value);
};

dagcomponentfuncs.ClosedCell = function (props) {
  var data = props.data;
  if (!data || !data.closed_at) { return null; }
  var children = [React.createElement("span", {key: "d"}, data.closed_at)];
  if (data.action_required) {
    children.push(React.createElement("span", {key: "a", className: "action-required"}, "Action required"));
    children.push(React.createElement("button", {
      key: "b",
      className: "btn btn-sm btn-outline-danger resolve-button py-0",
      onClick: function (event) {
        event.stopPropagation();
        props.setData({action: "resolve", key: data.key});
      }
    }, "Resolve issue"));
  }
  return React.createElement("span", {className: "closed-cell"}, children);
};
