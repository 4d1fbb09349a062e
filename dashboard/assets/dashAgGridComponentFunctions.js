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
  var possible = (props.data && props.data.possible) || [];
  var sure = labels.map(function (label) {
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
  });
  var unsure = possible.map(function (label) {
    var colour = CURVEDOC_LABEL_COLORS[label] || "#6c757d";
    return React.createElement(
      "span",
      {
        key: "possible-" + label,
        className: "badge rounded-pill me-1 cd-possible cd-" + label,
        style: { color: colour, border: "1px dashed " + colour, backgroundColor: "transparent" },
        title: "possible " + label + ": below the confidence that labels a run",
      },
      "possible " + String(label)
    );
  });
  return React.createElement("span", { className: "badge-row" }, sure.concat(unsure));
};

dagcomponentfuncs.RunLink = function (props) {
  var data = props.data || {};
  var id = data.id || "";
  var children = [
    React.createElement("span", {
      key: "swatch", className: "cd-swatch me-2",
      style: { backgroundColor: data.color || "#6c757d" },
    }),
    React.createElement("span", { key: "name", className: "cd-run-name" },
      String(props.value == null ? "" : props.value)),
  ];
  if (data.live) {
    children.push(
      React.createElement("span", { key: "live", className: "badge bg-info text-dark ms-2 cd-live",
        title: "a file of this run grew at the last check" }, "live")
    );
  }
  return React.createElement(
    "a",
    { href: "/run?id=" + encodeURIComponent(id), className: "cd-run-link", title: id },
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
