# Starts a throw-away local stack in the background for the worker benchmarks and exports its
# connection settings; stops it (SIGTERM) when the calling script exits. Sourced, not run.

worker_bench_stack_up() {
  WORKER_BENCH_DIR="$(mktemp -d)"
  (
    export INKFLOW_KAFKA_PORT=0 INKFLOW_CONTROLLER_PORT=0 INKFLOW_REGISTRY_PORT=0 INKFLOW_S3_PORT=0
    export INKFLOW_S3_STORAGE=filesystem INKFLOW_LOCAL_DATA_DIR="$WORKER_BENCH_DIR/data"
    # shellcheck disable=SC2086
    exec java $INKFLOW_JAVA_OPTS -cp "$(inkflow_classpath)" io.inkflow.infra.local.LocalStackMain \
      >"$WORKER_BENCH_DIR/stack.out" 2>"$WORKER_BENCH_DIR/stack.err"
  ) &
  WORKER_BENCH_STACK_PID=$!
  # (wait reports the stack's SIGTERM as 143; under set -e that would become the script's exit status)
  trap 'kill "$WORKER_BENCH_STACK_PID" 2>/dev/null; wait "$WORKER_BENCH_STACK_PID" 2>/dev/null || true; rm -rf "$WORKER_BENCH_DIR"' EXIT
  local waited=0
  until grep -q '^export AWS_SECRET_ACCESS_KEY=' "$WORKER_BENCH_DIR/stack.out" 2>/dev/null; do
    if ! kill -0 "$WORKER_BENCH_STACK_PID" 2>/dev/null || [ "$waited" -ge 120 ]; then
      echo "local stack did not start; its output:" >&2
      cat "$WORKER_BENCH_DIR/stack.out" "$WORKER_BENCH_DIR/stack.err" >&2
      exit 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  eval "$(grep '^export ' "$WORKER_BENCH_DIR/stack.out")"
}
