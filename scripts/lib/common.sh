# Shared helpers for scripts/: locate the repo, make sure Java 17 + Maven exist, build when stale.
# Sourced, not run.
set -euo pipefail

INKFLOW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Installs a JDK 17 and Maven from Debian's packages when either is missing (CI and fresh machines).
inkflow_ensure_toolchain() {
  if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing openjdk-17-jdk-headless and maven with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
  else
    echo "inkflow needs Java 17 and Maven 3.8+ on PATH" >&2
    exit 1
  fi
}

# Builds and installs the modules (tests skipped) when any source or pom is newer than the last build.
inkflow_build() {
  inkflow_ensure_toolchain
  local stamp="$INKFLOW_ROOT/infra/target/classpath.txt"
  if [ -f "$stamp" ] && [ -f "$INKFLOW_ROOT/bench/target/classpath.txt" ] \
      && [ -f "$INKFLOW_ROOT/deploy/target/classpath.txt" ] && [ -z "$(find "$INKFLOW_ROOT" -path "$INKFLOW_ROOT/.git" -prune -o \
        \( -name pom.xml -o -path '*/src/main/*' -o -path '*/infra/models/*' \) -newer "$stamp" -print -quit)" ]; then
    return
  fi
  echo "building inkflow (mvn install -DskipTests) ..." >&2
  (cd "$INKFLOW_ROOT" && mvn -B -q -DskipTests install) >&2
  # build-classpath leaves an unchanged classpath.txt as it was, so mark the build done here.
  touch "$stamp"
}

# The runtime classpath of the infra module (which depends on every other module but bench).
inkflow_classpath() {
  echo "$INKFLOW_ROOT/infra/target/classes:$(cat "$INKFLOW_ROOT/infra/target/classpath.txt")"
}

# The runtime classpath of the bench module: the benchmarks of scripts/bench/ and everything they measure.
inkflow_bench_classpath() {
  echo "$INKFLOW_ROOT/bench/target/classes:$(cat "$INKFLOW_ROOT/bench/target/classpath.txt")"
}

# The runtime classpath of the deploy module: the manifest generator.
inkflow_deploy_classpath() {
  echo "$INKFLOW_ROOT/deploy/target/classes:$(cat "$INKFLOW_ROOT/deploy/target/classpath.txt")"
}

# JVM flags: INKFLOW_JAVA_OPTS, when set, is what every script's JVM gets. Unset, a script gets its own
# default (inkflow_default_java_opts), else a bounded heap and the serial collector, which suit 2 cores.
inkflow_java_opts_given="${INKFLOW_JAVA_OPTS:-}"
INKFLOW_JAVA_OPTS="${INKFLOW_JAVA_OPTS:--Xms64m -Xmx512m -XX:+UseSerialGC}"

# Sets INKFLOW_JAVA_OPTS to this script's default flags ($1) unless the user set INKFLOW_JAVA_OPTS.
inkflow_default_java_opts() {
  if [ -z "$inkflow_java_opts_given" ]; then
    INKFLOW_JAVA_OPTS="$1"
  fi
}

# Prints a launcher's --help text ($1) and exits 0 when its arguments ask for it; any other argument
# is refused (the services read their settings from the environment only).
inkflow_help_or_no_args() {
  local usage="$1"
  shift
  case "${1:-}" in
    "") return ;;
    -h|--help) printf '%s\n' "$usage"; exit 0 ;;
    *) echo "$(basename "$0"): unexpected argument '$1'; settings come from the environment, see --help" >&2; exit 2 ;;
  esac
}

# True when the arguments ask for --help (or -h): a benchmark that starts a local stack first answers
# that without starting one.
inkflow_wants_help() {
  local arg
  for arg in "$@"; do
    case "$arg" in -h|--help) return 0 ;; esac
  done
  return 1
}

# Exports INKFLOW_STATE_DIR for the Streams app $1 unless it is set: under the local stack's data
# directory (INKFLOW_LOCAL_DATA_DIR, which scripts/local-up prints), so the state lives and dies with the
# topics it mirrors; with none, under the checkout's .local-stack/ (ignored by git).
inkflow_default_state_dir() {
  : "${INKFLOW_STATE_DIR:=${INKFLOW_LOCAL_DATA_DIR:-$INKFLOW_ROOT/.local-stack}/state/$1}"
  export INKFLOW_STATE_DIR
}

# Installs Node.js and npm from Debian's packages when npm is missing (CI and fresh machines).
inkflow_ensure_node() {
  if command -v npm >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing nodejs and npm with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "this step needs Node.js and npm on PATH" >&2
    exit 1
  fi
}

# The font files the rendered-text OCR set draws with (io.inkflow.bench.ocr.TextFont), by Debian path.
INKFLOW_OCR_FONT_FILES=(
  /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
  /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
  /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
)

# Installs fonts-noto-cjk, fonts-wqy-zenhei and fonts-dejavu-core from Debian's packages when any of those
# files is missing (CI and fresh machines).
inkflow_ensure_fonts() {
  local file
  for file in "${INKFLOW_OCR_FONT_FILES[@]}"; do
    if [ ! -f "$file" ]; then
      if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing fonts-noto-cjk, fonts-wqy-zenhei and fonts-dejavu-core with apt-get" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fonts-wqy-zenhei fonts-dejavu-core >/dev/null
        return
      fi
      echo "this step needs $file (Debian: apt-get install fonts-noto-cjk fonts-wqy-zenhei fonts-dejavu-core)" >&2
      exit 1
    fi
  done
}

# The three-broker fault tier (ThreeBrokerFaultsIT) runs each broker in a network namespace made with iproute2's
# ip; as root it installs Debian's iproute2 when ip is missing (as a user the tier is skipped: it needs root).
inkflow_ensure_iproute2() {
  if command -v ip >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing iproute2 with apt-get" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
  fi
}

# Installs the JavaScript PP-OCR library of the cross-check (scripts/eval/ocr-js, locked by its package-lock.json)
# with npm ci when node_modules is missing or older than the lock. No dependency install script runs (npm 11 runs
# none without an allowScripts entry; for older npm, ONNXRUNTIME_NODE_INSTALL=skip stops onnxruntime-node's
# postinstall from fetching its CUDA provider); only the npm registry is contacted.
inkflow_ensure_ocr_js() {
  inkflow_ensure_node
  local js_dir="$INKFLOW_ROOT/scripts/eval/ocr-js"
  if [ ! -f "$js_dir/node_modules/.package-lock.json" ] || [ "$js_dir/package-lock.json" -nt "$js_dir/node_modules/.package-lock.json" ]; then
    echo "installing the JavaScript OCR library (npm ci in $js_dir)" >&2
    (cd "$js_dir" && ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund) >&2
  fi
}

# The KEDA schema check of the manifests (KedaSchemaTest) runs @kubernetes-models/keda, pinned by
# deploy/validate/package-lock.json (versions and integrity hashes).
inkflow_ensure_deploy_validate() {
  inkflow_ensure_node
  local js_dir="$INKFLOW_ROOT/deploy/validate"
  if [ ! -f "$js_dir/node_modules/.package-lock.json" ] || [ "$js_dir/package-lock.json" -nt "$js_dir/node_modules/.package-lock.json" ]; then
    echo "installing the KEDA schema models (npm ci in $js_dir)" >&2
    (cd "$js_dir" && npm ci --no-audit --no-fund) >&2
  fi
}

# Installs Debian's chromium and chromium-driver (one version, built together) when either is missing, for the
# browser tests (io.inkflow.testing.browser.HeadlessChromium drives /usr/bin/chromium through /usr/bin/chromedriver,
# so Selenium Manager never downloads a browser or a driver); prints both versions.
inkflow_ensure_chromium() {
  if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "installing chromium and chromium-driver with apt-get" >&2
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
    else
      echo "the browser tests need /usr/bin/chromium and /usr/bin/chromedriver (Debian: apt-get install chromium chromium-driver)" >&2
      exit 1
    fi
  fi
  # Debian's /usr/bin/chromium wrapper prints a harmless shell warning on some hosts: keep only the version line.
  echo "browser tests: $(/usr/bin/chromium --version 2>/dev/null | head -n 1); $(/usr/bin/chromedriver --version 2>/dev/null | head -n 1)" >&2
}
