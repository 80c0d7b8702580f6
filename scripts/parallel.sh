# Steps and lanes for scripts/test.sh and .ci/run (sourced, not run). A step runs in the
# foreground and is timed. A lane runs in the background beside the others, its output in a
# log of its own, printed whole (each line prefixed with the lane's name) when it ends. A
# failed step ends the script at once, named; a failed lane fails the script once every lane
# has ended, and every failed lane is named. The machine has few cores: lanes pay where a
# step mostly waits (Wine, Chromium, a live server, test binaries run one at a time) while
# another compiles.
#
#   step NAME COMMAND [ARG...]   runs COMMAND now (a function of the script too, under the
#                                script's `set -e`); the script ends if it fails
#   lane NAME COMMAND [ARG...]   starts COMMAND in the background; COMMAND may be a function
#                                of the script (it runs in a new bash with `set -euo pipefail`:
#                                export the variables it reads)
#   await_lanes                  waits for every lane started; returns 1 if any failed
#   parallel_stop                for the script's EXIT trap: names the step that failed, stops
#                                the lanes still running (printing their logs so far)
#
# A lane runs in a session of its own, so that parallel_stop ends it with all its children.

parallel_logs="$(mktemp -d "${TMPDIR:-/tmp}/lanes.XXXXXX")"
parallel_pids=()
declare -A parallel_name=() parallel_start=()

parallel_step=""
step() {
  local name="$1" start=$SECONDS
  shift
  echo "== $name" >&2
  # Not `"$@" || ...`: bash ignores `set -e` inside whatever runs left of `||`.
  parallel_step="$name"
  "$@"
  parallel_step=""
  echo "== $name: ok ($((SECONDS - start)) s)" >&2
}

lane() {
  local name="$1"
  shift
  if declare -F "$1" >/dev/null; then
    export -f "$1" step parallel_failed_step
    set -- bash -c 'set -euo pipefail; trap parallel_failed_step EXIT; "$@"' "$name" "$@"
  fi
  echo "== lane $name: started" >&2
  # setsid: the lane's pid is its own process group's id, for parallel_stop.
  setsid "$@" </dev/null >"$parallel_logs/$name.log" 2>&1 &
  parallel_pids+=("$!")
  parallel_name[$!]="$name"
  parallel_start[$!]=$SECONDS
}

await_lanes() {
  local failed=() pid status name left p
  while [ ${#parallel_pids[@]} -gt 0 ]; do
    status=0
    # The first lane to end, whichever it is; its status, not only whether one failed.
    wait -n -p pid "${parallel_pids[@]}" || status=$?
    name="${parallel_name[$pid]}"
    left=()
    for p in "${parallel_pids[@]}"; do
      [ "$p" = "$pid" ] || left+=("$p")
    done
    parallel_pids=("${left[@]}")
    sed "s/^/[$name] /" "$parallel_logs/$name.log" >&2
    if [ "$status" -eq 0 ]; then
      echo "== lane $name: ok ($((SECONDS - ${parallel_start[$pid]})) s)" >&2
    else
      echo "== lane $name: FAILED (exit $status, after $((SECONDS - ${parallel_start[$pid]})) s)" >&2
      failed+=("$name")
    fi
  done
  if [ ${#failed[@]} -gt 0 ]; then
    echo "== FAILED lanes: ${failed[*]}" >&2
    return 1
  fi
}

# In a lane's EXIT trap (and parallel_stop's): which step failed, if one did.
parallel_failed_step() {
  local status="${1:-$?}"
  if [ "$status" -ne 0 ] && [ -n "$parallel_step" ]; then
    echo "== FAILED: $parallel_step (exit $status)" >&2
  fi
  return "$status"
}

parallel_stop() {
  local status=$? pid lane_status
  parallel_failed_step "$status" || true
  for pid in "${parallel_pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${parallel_pids[@]}"; do
    lane_status=0
    wait "$pid" 2>/dev/null || lane_status=$?
    sed "s/^/[${parallel_name[$pid]}] /" "$parallel_logs/${parallel_name[$pid]}.log" >&2
    echo "== lane ${parallel_name[$pid]}: exit $lane_status (the script ended first: stopped if still running)" >&2
  done
  parallel_pids=()
  rm -rf "$parallel_logs"
  return "$status"
}
