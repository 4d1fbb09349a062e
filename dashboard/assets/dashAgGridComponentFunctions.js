// Cell renderers of the runs grid. They build React elements with text
// children only, so nothing from a log is ever interpreted as HTML.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions =
  window.dashAgGridComponentFunctions || {});

var CURVEDOC_LABEL_COLORS = {
  bad_init: "#6f42c1",
  lr_too_high: "#dc3545",
  decayed_too_early: "#fd7e14",
  keep_training: "#0d6efd",
  overfitting: "#d63384",
  underfitting: "#6c757d",
  healthy: "#198754",
  pending: "#adb5bd",
};

dagcomponentfuncs.LabelBadges = function (props) {
  var labels = props.value || [];
  return React.createElement(
    "span",
    { className: "badge-row" },
    labels.map(function (label) {
      return React.createElement(
        "span",
        {
          key: label,
          className: "badge rounded-pill me-1 cd-badge cd-" + label,
          style: { backgroundColor: CURVEDOC_LABEL_COLORS[label] || "#6c757d" },
          title: label,
        },
        String(label)
      );
    })
  );
};

dagcomponentfuncs.RunLink = function (props) {
  var id = props.data ? props.data.id : "";
  var children = [
    React.createElement("span", { key: "name", className: "cd-run-name" },
      String(props.value == null ? "" : props.value)),
  ];
  if (props.data && props.data.live) {
    children.push(
      React.createElement("span", { key: "live", className: "badge bg-success ms-2 cd-live" }, "live")
    );
  }
  return React.createElement(
    "a",
    { href: "/run?id=" + encodeURIComponent(id), className: "cd-run-link" },
    children
  );
};

// Keyboard: Enter on a focused cell of a run's row opens that run's page.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
dagfuncs.curvedocOpenRun = function (params) {
  var key = params.event && params.event.key;
  if (key === "Enter" && params.data && params.colDef.field !== "labels") {
    window.location.href = "/run?id=" + encodeURIComponent(params.data.id);
  }
};
