"""Every component id of the dashboard, in one place (pages import these, never literals)."""

# App shell (present on every page)
SELECTION = "selection-store"  # list of run ids the user picked; survives navigation
VERSION = "data-version-store"  # bumps when a refresh found new data
POLL = "poll-interval"
LIVE_STATUS = "live-status"
NAV = "nav"
NAV_COMPARE = "nav-compare-link"
SELECTION_COUNT = "selection-count"
APP_NOTICE = "app-notice"  # folder-wide notice (no runs found), updated as data arrives

# Runs page
RUNS_GRID = "runs-grid"
RUNS_NAME_REGEX = "runs-name-regex"
RUNS_LABELS = "runs-label-filter"
RUNS_GROUPS = "runs-group-filter"
RUNS_FILTER_MSG = "runs-filter-message"
RUNS_SUMMARY = "runs-summary"
RUNS_COMPARE_BTN = "runs-compare-button"
RUNS_CLEAR_BTN = "runs-clear-button"
RUNS_DOWNLOAD_BTN = "runs-download-button"
RUNS_DOWNLOAD = "runs-download"
RUNS_HPARAMS = "runs-hparam-columns"  # which hyper-parameters the grid shows

# Run page
RUN_ID = "run-id-store"
RUN_HEADER = "run-header"
RUN_CHARTS = "run-charts"
RUN_ADVICE = "run-advice"
RUN_HPARAMS = "run-hparams"
RUN_BODY = "run-body"  # the charts and advice row (hidden for an unknown id)
RUN_SMOOTH = "run-smoothing"
RUN_X = "run-x"
RUN_GRAPH = "run-graph"  # pattern-matching type of each chart: {"type": RUN_GRAPH, "index": i}
RUN_ZOOM_SINK = "run-zoom-sink"

# Compare page
CMP_RUNS = "compare-runs"
CMP_INIT = "compare-init-store"  # runs and metric the URL asked for
CMP_URL_SINK = "compare-url-sink"  # output of the callback that rewrites the URL
CMP_METRIC = "compare-metric"
CMP_X = "compare-x"
CMP_SMOOTH = "compare-smoothing"
CMP_LOGY = "compare-logy"
CMP_OVERLAY = "compare-overlay"
CMP_MULTIPLES = "compare-multiples"
CMP_SHARE = "compare-share"
CMP_NOTE = "compare-note"
CMP_DOWNLOAD_BTN = "compare-download-button"
CMP_DOWNLOAD = "compare-download"
CMP_BADGES = "compare-badges"  # each selected run: swatch, name, diagnosis badges
CMP_TAG_FILTER = "compare-tag-filter"
CMP_TAG_GRID = "compare-tag-grid"  # a chart per tag, in sections by tag prefix

# Groups page
GRP_BY = "groups-by"
GRP_METRIC = "groups-metric"
GRP_BAND = "groups-band"
GRP_CURVES = "groups-curves"
GRP_TABLE = "groups-table"
GRP_LOGY = "groups-logy"
GRP_SWEEP_PARAM = "groups-sweep-param"
GRP_SWEEP_SCOPE = "groups-sweep-scope"
GRP_SWEEP = "groups-sweep"
GRP_SWEEP_NOTE = "groups-sweep-note"
GRP_SCOPE = "groups-scope"  # the folder whose runs are grouped
GRP_NOTE = "groups-note"  # what is grouped, and how
GRP_URL_SINK = "groups-url-sink"
GRP_BASELINE = "groups-baseline"  # the group every other group is compared with
GRP_COMPARE_ON = "groups-compare-on"  # best or last value of each run
GRP_COMPARE = "groups-compare"  # the comparisons: seed noise, table, chart
GRP_SWEEP_LEFT = "groups-sweep-left-out"  # runs left out of the sweep's suggestion
