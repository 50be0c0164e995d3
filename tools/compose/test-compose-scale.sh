#!/usr/bin/env bash
# npm run test:compose:scale — the replicated stack (docker/docker-compose.scale.yml) under load.
#
#  1. validates the scale compose file (and its CI override): `docker-compose config -q` and the
#     Compose Specification's JSON schema;
#  2. starts Debian's dockerd on a private data root and socket (never the machine's own), and
#     builds the same Node 24 stand-in base image as test-compose.sh, from the same debootstrap
#     cache (.data/compose-ci);
#  3. builds PostgreSQL (Debian's package), HAProxy (Debian's package) and one image per app,
#     starts PostgreSQL, the balancer and two replicas of every service, waits until the balancer
#     sees all six replicas ready;
#  4. runs tools/compose/scale-load.mjs from the host against the balancer: a steady load of users
#     signing in (login + consent forms), refreshing, and calling user-service (token exchange,
#     then message-service: posting and reading messages) while it
#       (a) SIGTERMs one replica of each service in turn and starts it again → no failed request,
#       (b) kill -9s one replica of each service and starts it again → only requests in flight at
#           the kill may fail; every acknowledged message is read back; every user's session and
#           refresh token still work,
#       (c) rotates the signing key (rotate-keys.js in one auth-server replica) → no failed request,
#           every token issued before and after still verifies;
#     it prints the counts and exits non-zero on any loss;
#  5. tears everything down, stops dockerd and removes its folder, also on failure or Ctrl-C.
#
# Environment: BATON_COMPOSE_KEEP_WORKDIR=1 keeps the work folder (logs) after the run;
# BATON_COMPOSE_CACHE (default .data/compose-ci) is shared with test-compose.sh;
# BATON_SCALE_WORKERS (default 6) concurrent virtual users of the load;
# BATON_SCALE_FROM_COMMIT=<rev> builds the images from that commit (git archive) instead of the
# work tree, for a run while uncommitted edits are under way.
set -Eeuo pipefail
# The whole script is one block, read before it runs: editing the file during a run cannot change it.
{

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

started_at=$(date +%s)
checks_passed=0
project="baton-scale-$$"
compose_files=(-f docker/docker-compose.scale.yml -f docker/docker-compose.scale.ci.yml)
standin_image="localhost/baton-ci-node:24"
cache_dir="${BATON_COMPOSE_CACHE:-$root/.data/compose-ci}"
replicas=(auth-server-1 auth-server-2 message-service-1 message-service-2 user-service-1 user-service-2)
workdir=""
dockerd_pid=""

log() { printf '== test:compose:scale [%4ss] %s\n' "$(($(date +%s) - started_at))" "$*"; }
pass() {
  checks_passed=$((checks_passed + 1))
  log "ok: $*"
}
failure=""
fail() {
  failure="$*"
  printf '== test:compose:scale FAILED: %s\n' "$*" >&2
  exit 1
}

node_bin="$root/node_modules/node/bin/node"
[[ -x "$node_bin" ]] || fail "node_modules/node/bin/node is missing: run npm ci first"

docker_cli() { timeout 300 "${DOCKER_CLI:-/usr/bin/docker}" "$@"; }
# start_private_dockerd, build_standin_image (shared with the other compose test)
source "$root/tools/compose/private-engine.sh"
compose() {
  local limit=$1
  shift
  timeout "$limit" docker-compose -p "$project" "${compose_files[@]}" "$@"
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  local load_summary=""
  if ((status != 0)) && [[ -n "$workdir" && -f "$workdir/load.log" ]]; then
    load_summary=$(grep -E 'FAIL|failed of|in flight|missing|refreshed|verify|scale-load|^ *\[(setup|warm-up|sigterm|kill|rotate|cool-down|after)\]' "$workdir/load.log" | tail -45 | sed 's/^/   /')
  fi
  if [[ -n "$dockerd_pid" ]]; then
    if ((status != 0)) && [[ -S "$workdir/docker.sock" ]]; then
      # Only what went wrong: the request lines at info would bury the verdict (CI shows the end).
      log "warnings and errors of the stack (last 15 per container)"
      compose 60 logs --no-color >"$workdir/failed-stack.log" 2>&1
      for container in postgres balancer "${replicas[@]}"; do
        grep -E "^${container}[-_ ].*(\"level\":\"(warn|error|fatal)\"|\[(WARNING|ALERT|NOTICE)\]|FATAL|ERROR|exited)" "$workdir/failed-stack.log" |
          tail -15 | cut -c1-400 | sed 's/^/   | /'
      done
    fi
    if [[ "${BATON_COMPOSE_KEEP_WORKDIR:-}" == 1 ]]; then
      # Every container's whole log, for a look at a run after the fact.
      compose 60 logs --no-color --timestamps >"$workdir/stack.log" 2>&1
    fi
    log "tearing down"
    compose 120 down --volumes --remove-orphans --timeout 10 >"$workdir/down.log" 2>&1
    kill -TERM "$dockerd_pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$dockerd_pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$dockerd_pid" 2>/dev/null; then
      log "dockerd did not stop in 20 s: killing it"
      kill -KILL "$dockerd_pid" 2>/dev/null
      sleep 1
    fi
  fi
  if [[ -n "$workdir" && -d "$workdir" ]]; then
    grep -o " $workdir/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    if [[ "${BATON_COMPOSE_KEEP_WORKDIR:-}" == 1 ]]; then
      log "work folder kept: $workdir"
    else
      rm -rf "$workdir"
    fi
  fi
  if ((status == 0)); then
    log "done in $(($(date +%s) - started_at)) s"
    printf 'compose-scale: %d passed, 0 failed\n' "$checks_passed"
  else
    # The verdict last, where a reader of the end of the output finds it.
    if [[ -n "$load_summary" ]]; then
      printf '== what the load test reported (problems and counts):\n%s\n' "$load_summary" >&2
    fi
    # The balancer's own account of the 5xx answers (termination state: SH = the replica closed
    # before its headers, SD = during the body, sC/SC = connecting...), printed here too because
    # CI shows only the end of the output.
    if [[ -s "$workdir/balancer-abnormal.log" ]]; then
      printf '== the balancer'"'"'s lines for its 5xx answers (last 8):\n' >&2
      grep -E ' 5[0-9]{2} [0-9]+ - - ' "$workdir/balancer-abnormal.log" | tail -8 | cut -c1-300 >&2 || true
    fi
    printf '== test:compose:scale failed after %s s (exit %s)%s\ncompose-scale: %d passed, 1 failed\n' \
      "$(($(date +%s) - started_at))" "$status" "${failure:+: $failure}" "$checks_passed" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
log "tools"
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if ((${#missing[@]})); then
  ((EUID == 0)) || fail "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
  log "installing ${missing[*]} with apt-get"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
((EUID == 0)) || fail "dockerd and debootstrap need root"

# ---------------------------------------------------------------------------------------------
log "static validation"
docker-compose -f docker/docker-compose.scale.yml config -q || fail "docker-compose config rejects docker/docker-compose.scale.yml"
docker-compose "${compose_files[@]}" config -q || fail "docker-compose config rejects the scale file with its CI override"
"$node_bin" tools/compose/validate-compose-schema.mjs docker/docker-compose.scale.yml docker/docker-compose.scale.ci.yml |
  sed 's/^/   /'
pass "docker-compose config -q and the Compose Specification schema: the scale file and its CI override"

# ---------------------------------------------------------------------------------------------
start_private_dockerd baton-compose-scale

# ---------------------------------------------------------------------------------------------
build_standin_image

# ---------------------------------------------------------------------------------------------
free_port() { "$node_bin" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
export BALANCER_AUTH_HOST_PORT BALANCER_USER_HOST_PORT BALANCER_MESSAGE_HOST_PORT BALANCER_STATS_HOST_PORT
BALANCER_AUTH_HOST_PORT="$(free_port)"
BALANCER_USER_HOST_PORT="$(free_port)"
BALANCER_MESSAGE_HOST_PORT="$(free_port)"
BALANCER_STATS_HOST_PORT="$(free_port)"
export BATON_CI_NODE_IMAGE="$standin_image"

# The build context: the work tree, or a clean export of one commit.
build_root="$root"
if [[ -n "${BATON_SCALE_FROM_COMMIT:-}" ]]; then
  build_root="$workdir/source"
  mkdir -p "$build_root"
  git -C "$root" archive "$BATON_SCALE_FROM_COMMIT" | tar -x -C "$build_root" || fail "git archive $BATON_SCALE_FROM_COMMIT failed"
  log "building from commit $(git -C "$root" rev-parse --short "$BATON_SCALE_FROM_COMMIT") (exported to $build_root)"
fi
compose() {
  local limit=$1
  shift
  (cd "$build_root" && timeout "$limit" docker-compose -p "$project" "${compose_files[@]}" "$@")
}

mkdir -p "$workdir/bin"
ln -s "${DOCKER_CLI:-/usr/bin/docker}" "$workdir/bin/docker"
export PATH="$workdir/bin:$PATH" COMPOSE_DOCKER_CLI_BUILD=1 DOCKER_BUILDKIT=1 BUILDKIT_PROGRESS=plain

build_failed() {
  sed 's/\x1b\[[0-9;]*m//g' "$workdir/build.log" |
    grep -E -A3 'ERROR in|TS[0-9]{4}:|npm (ERR|error)|ERROR:|executor failed|E: ' | head -80 >&2
  tail -15 "$workdir/build.log" >&2
  fail "image build failed (errors above)"
}
# The first replica of each app builds its image (in parallel with PostgreSQL and HAProxy); the
# second replica's build then comes entirely from BuildKit's cache.
log "building postgres, balancer and the three apps (docker/Dockerfile, docker/postgres, docker/haproxy)"
build_started=$(date +%s)
compose 1500 build --parallel postgres balancer auth-server-1 message-service-1 user-service-1 >"$workdir/build.log" 2>&1 || build_failed
compose 600 build --parallel auth-server-2 message-service-2 user-service-2 >>"$workdir/build.log" 2>&1 || build_failed
pass "images built in $(($(date +%s) - build_started)) s"

log "docker-compose up -d (postgres, balancer, ${replicas[*]})"
up_started=$(date +%s)
compose 300 up -d --no-build >"$workdir/up.log" 2>&1 || { cat "$workdir/up.log" >&2; fail "docker-compose up failed"; }

container_of() { compose 60 ps -q "$1"; }
containers=""
for replica in "${replicas[@]}"; do
  id="$(container_of "$replica")"
  [[ -n "$id" ]] || fail "no container for $replica"
  containers+="${containers:+,}$replica=$id"
done

export BATON_SCALE_AUTH_URL="http://127.0.0.1:$BALANCER_AUTH_HOST_PORT"
export BATON_SCALE_USER_URL="http://127.0.0.1:$BALANCER_USER_HOST_PORT"
export BATON_SCALE_MESSAGE_URL="http://127.0.0.1:$BALANCER_MESSAGE_HOST_PORT"
export BATON_SCALE_STATS_URL="http://127.0.0.1:$BALANCER_STATS_HOST_PORT/stats;csv"
export BATON_SCALE_CONTAINERS="$containers"
export BATON_SCALE_DOCKER="${DOCKER_CLI:-/usr/bin/docker}"

log "waiting for the balancer to see all six replicas ready"
"$node_bin" tools/compose/scale-load.mjs wait-ready 240 || fail "the replicas did not all become ready (see the logs below)"
pass "postgres, balancer and ${#replicas[@]} replicas ready $(($(date +%s) - up_started)) s after up"

log "load through the balancer, with (a) SIGTERM, (b) kill -9 and (c) a key rotation under it"
load_started=$(date +%s)
"$node_bin" tools/compose/scale-load.mjs run 2>&1 | tee "$workdir/load.log" | sed 's/^/   /'
load_status=${PIPESTATUS[0]}
if ((load_status != 0)); then
  # The balancer's own account of the failed requests: its log lines whose termination state is not
  # the normal `----` (e.g. SH: the replica closed under the request), or that answered 5xx.
  # `|| true`: under `set -eo pipefail` a grep that finds nothing (or a failing logs call) would end
  # the script here through the ERR trap, before the lines and the verdict are printed.
  compose 60 logs --no-color balancer >"$workdir/balancer.log" 2>&1 || true
  log "balancer log lines of abnormal endings (all of it in the work folder with BATON_COMPOSE_KEEP_WORKDIR=1)"
  { grep -E ' [0-9]+ [0-9]+ - - [A-Za-z-]{4} | (5[0-9]{2}) [0-9]+ - - ' "$workdir/balancer.log" | grep -v ' - - ---- ' >"$workdir/balancer-abnormal.log"; } || true
  tail -40 "$workdir/balancer-abnormal.log" | sed 's/^/   | /'
  fail "the load test found failures or losses (exit $load_status; counts above)"
fi
pass "load test: no failed request beyond those in flight at a kill, no lost message, sessions and refresh tokens kept ($(($(date +%s) - load_started)) s)"

exit 0
}
