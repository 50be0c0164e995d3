#!/usr/bin/env bash
# npm run test:compose — the docker compose demo, for real, on a machine that cannot pull images.
#
#  1. validates docker/docker-compose.yml (and the CI override): `docker-compose config -q` and the
#     Compose Specification's JSON schema (tools/compose/validate-compose-schema.mjs);
#  2. installs what it needs if missing (apt-get: docker.io docker-compose debootstrap; needs root);
#  3. starts Debian's dockerd on a private data root, exec root and socket (never the machine's own);
#  4. builds a stand-in for the official Node 24 image: Debian bookworm minbase (debootstrap), the
#     Node 24 binary from node_modules, npm with this machine's npm cache in offline mode;
#  5. runs the SAME compose file with docker/docker-compose.ci.yml (which only points the base image
#     build argument at the stand-in): builds every image, `up -d`, waits for health;
#  6. runs the README's walkthrough from the host against the published ports, waits for the demo
#     service (when apps/demo exists) to exit 0, replaces the auth server's container and checks
#     that its signing keys came back from the volume;
#  7. tears everything down, stops dockerd and removes its folder, also on failure or Ctrl-C.
#
# Environment: BATON_COMPOSE_KEEP_WORKDIR=1 keeps the work folder (logs) after the run;
# BATON_COMPOSE_CACHE (default .data/compose-ci) keeps the debootstrap result between local runs.
set -Eeuo pipefail
# The whole script is one block, read before it runs: editing the file during a run cannot change it.
{

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

started_at=$(date +%s)
checks_passed=0
project="baton-ci-$$"
compose_files=(-f docker/docker-compose.yml -f docker/docker-compose.ci.yml)
standin_image="localhost/baton-ci-node:24"
cache_dir="${BATON_COMPOSE_CACHE:-$root/.data/compose-ci}"
workdir=""
broken_dir=""
dockerd_pid=""

log() { printf '== test:compose [%4ss] %s\n' "$(($(date +%s) - started_at))" "$*"; }
pass() {
  checks_passed=$((checks_passed + 1))
  log "ok: $*"
}
fail() {
  printf '== test:compose FAILED: %s\n' "$*" >&2
  exit 1
}

# Node 24 from the `node` devDependency (npm scripts put it first on PATH; called directly, find it).
node_bin="$root/node_modules/node/bin/node"
[[ -x "$node_bin" ]] || fail "node_modules/node/bin/node is missing: run npm ci first"

# Debian's docker CLI talks to Debian's dockerd; a newer CLI elsewhere on PATH may lack what the
# 20.10 engine expects (BuildKit without buildx, for instance).
# Every call has a time limit, so that a hung engine ends the run instead of CI's clock.
docker_cli() { timeout 300 "${DOCKER_CLI:-/usr/bin/docker}" "$@"; }
# start_private_dockerd, build_standin_image (shared with the other compose test)
source "$root/tools/compose/private-engine.sh"
# compose <seconds> <docker-compose arguments>
compose() {
  local limit=$1
  shift
  timeout "$limit" docker-compose -p "$project" "${compose_files[@]}" "$@"
}

has_demo_app() { [[ -f apps/demo/project.json ]]; }
services_to_run() {
  if has_demo_app; then echo "auth-server message-service user-service demo"; else echo "auth-server message-service user-service"; fi
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  if [[ -n "$dockerd_pid" ]]; then
    if ((status != 0)) && [[ -S "$workdir/docker.sock" ]]; then
      log "logs of the stack (last 80 lines per container)"
      compose 60 logs --no-color --tail=80 2>&1 | sed 's/^/   | /'
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
  [[ -n "$broken_dir" ]] && rm -rf "$broken_dir"
  if [[ -n "$workdir" && -d "$workdir" ]]; then
    # Anything dockerd left mounted under its folders (overlays, netns) goes before the folder does.
    grep -o " $workdir/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    if [[ "${BATON_COMPOSE_KEEP_WORKDIR:-}" == 1 ]]; then
      log "work folder kept: $workdir"
    else
      rm -rf "$workdir"
    fi
  fi
  if ((status == 0)); then
    log "done in $(($(date +%s) - started_at)) s"
    printf 'compose: %d passed, 0 failed\n' "$checks_passed"
  else
    printf '== test:compose failed after %s s (exit %s)\ncompose: %d passed, 1 failed\n' \
      "$(($(date +%s) - started_at))" "$status" "$checks_passed" >&2
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
log "$(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /'), $(dockerd --version)"

# ---------------------------------------------------------------------------------------------
log "static validation"
docker-compose -f docker/docker-compose.yml config -q || fail "docker-compose config rejects docker/docker-compose.yml"
pass "docker-compose config -q: docker/docker-compose.yml"
docker-compose "${compose_files[@]}" config -q || fail "docker-compose config rejects the file with the CI override"
pass "docker-compose config -q: with docker/docker-compose.ci.yml"
"$node_bin" tools/compose/validate-compose-schema.mjs docker/docker-compose.yml docker/docker-compose.ci.yml |
  sed 's/^/   /'
pass "Compose Specification schema: both files"
# Both checks must also say no: the same file with one key that no Compose version knows.
broken_dir="$(mktemp -d /tmp/baton-compose-broken.XXXXXX)"
sed 's/^  auth-server:$/  auth-server:\n    restart_policy: always/' docker/docker-compose.yml >"$broken_dir/docker-compose.yml"
grep -q '^    restart_policy: always$' "$broken_dir/docker-compose.yml" || fail "could not make the broken copy"
if docker-compose -f "$broken_dir/docker-compose.yml" config -q >/dev/null 2>&1; then fail "docker-compose config accepted an unknown key"; fi
if "$node_bin" tools/compose/validate-compose-schema.mjs "$broken_dir/docker-compose.yml" >/dev/null 2>&1; then fail "the schema check accepted an unknown key"; fi
rm -rf "$broken_dir"
pass "both checks refuse a copy with an unknown service key"

# ---------------------------------------------------------------------------------------------
start_private_dockerd baton-compose

# ---------------------------------------------------------------------------------------------
build_standin_image

# ---------------------------------------------------------------------------------------------
read -r -a services <<<"$(services_to_run)"
has_demo_app || log "apps/demo does not exist yet: the demo service is skipped; the host-side walkthrough stands in for it"

free_port() { "$node_bin" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
# Published on free host ports so that a developer's own `npm start` does not collide. Inside the
# network nothing changes (the issuer stays http://localhost:9001).
export AUTH_SERVER_HOST_PORT USER_SERVICE_HOST_PORT MESSAGE_SERVICE_HOST_PORT
AUTH_SERVER_HOST_PORT="$(free_port)"
USER_SERVICE_HOST_PORT="$(free_port)"
MESSAGE_SERVICE_HOST_PORT="$(free_port)"
export BATON_CI_NODE_IMAGE="$standin_image"

# Builds go through Debian's docker CLI with BuildKit, as `docker compose` (v2) builds for users:
# stages run in parallel, images share the npm ci layers, unused stages are skipped. docker-compose
# 1.29 runs `docker build` from PATH, hence Debian's CLI first on it.
mkdir -p "$workdir/bin"
ln -s "${DOCKER_CLI:-/usr/bin/docker}" "$workdir/bin/docker"
export PATH="$workdir/bin:$PATH" COMPOSE_DOCKER_CLI_BUILD=1 DOCKER_BUILDKIT=1 BUILDKIT_PROGRESS=plain

log "building ${services[*]} in parallel (docker/Dockerfile, one image per app)"
build_started=$(date +%s)
build_failed() {
  # Parallel builds interleave their output: show the error lines themselves, then the end.
  sed 's/\x1b\[[0-9;]*m//g' "$workdir/build.log" |
    grep -E -A3 'ERROR in|TS[0-9]{4}:|npm (ERR|error)|ERROR:|executor failed' | head -80 >&2
  tail -15 "$workdir/build.log" >&2
  fail "image build failed (errors above)"
}
compose 1200 build --parallel "${services[@]}" >"$workdir/build.log" 2>&1 || build_failed
image_sizes="$(docker_cli images --format '{{.Repository}} {{.Size}}' | grep "^${project}_" | sed "s/^${project}_//" | paste -sd, - | sed 's/,/, /g')"
pass "images built in $(($(date +%s) - build_started)) s: $image_sizes (the stand-in base alone: $(docker_cli images --format '{{.Size}}' "$standin_image"))"

log "docker-compose up -d ${services[*]}"
up_started=$(date +%s)
compose 300 up -d --no-build "${services[@]}" >"$workdir/up.log" 2>&1 ||
  { cat "$workdir/up.log" >&2; fail "docker-compose up failed"; }

container_of() { compose 60 ps -q "$1"; }
health_of() { docker_cli inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$(container_of "$1")"; }
wait_healthy() {
  local service=$1 deadline=$(($(date +%s) + 120)) status
  while :; do
    status="$(health_of "$service")"
    [[ "$status" == healthy ]] && return 0
    [[ "$status" == unhealthy || "$status" == exited || "$status" == dead ]] && fail "$service is $status"
    (($(date +%s) < deadline)) || fail "$service not healthy after 120 s (status: $status)"
    sleep 0.5
  done
}
for service in auth-server message-service user-service; do wait_healthy "$service"; done
pass "auth-server, message-service, user-service healthy $(($(date +%s) - up_started)) s after up"

export AUTH_SERVER_URL="http://127.0.0.1:$AUTH_SERVER_HOST_PORT"
export USER_SERVICE_URL="http://127.0.0.1:$USER_SERVICE_HOST_PORT"
export MESSAGE_SERVICE_URL="http://127.0.0.1:$MESSAGE_SERVICE_HOST_PORT"
log "walkthrough from the host (auth $AUTH_SERVER_URL, user $USER_SERVICE_URL, message $MESSAGE_SERVICE_URL)"
"$node_bin" tools/compose/smoke-walkthrough.mjs walkthrough | sed 's/^/   /'
pass "walkthrough from the host"

if has_demo_app; then
  log "demo service"
  demo_container="$(container_of demo)"
  demo_status="$(timeout 180 "${DOCKER_CLI:-/usr/bin/docker}" wait "$demo_container")" || fail "the demo did not finish in 180 s"
  compose 60 logs --no-color demo | sed 's/^/   /'
  [[ "$demo_status" == 0 ]] || fail "the demo service exited with $demo_status"
  pass "demo service exited 0"
fi

# A new container, not a restart: a restart keeps the container's own files, and removing it with -v
# also drops the image's anonymous /data volume. Only the named volume can bring the keys back.
log "replacing the auth-server container: its signing keys must come back from the auth-server-data volume"
keys_before="$("$node_bin" tools/compose/smoke-walkthrough.mjs jwks)"
compose 120 rm --stop --force -v auth-server >"$workdir/replace.log" 2>&1 || { cat "$workdir/replace.log" >&2; fail "removing auth-server failed"; }
compose 120 up -d --no-deps --no-build auth-server >>"$workdir/replace.log" 2>&1 || { cat "$workdir/replace.log" >&2; fail "starting a new auth-server failed"; }
wait_healthy auth-server
keys_after="$("$node_bin" tools/compose/smoke-walkthrough.mjs jwks)"
[[ -n "$keys_before" && "$keys_before" == "$keys_after" ]] || fail "signing keys changed with a new container: '$keys_before' then '$keys_after'"
"$node_bin" tools/compose/smoke-walkthrough.mjs walkthrough >"$workdir/walkthrough-after-restart.log" 2>&1 ||
  { cat "$workdir/walkthrough-after-restart.log" >&2; fail "walkthrough after the auth server was replaced"; }
pass "new auth-server container: same signing keys ($keys_after), walkthrough passes"

exit 0
}
