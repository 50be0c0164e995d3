# shellcheck shell=bash
# What test-compose.sh and test-compose-scale.sh share: a private dockerd of their own, and the
# stand-in for the official `node:24` base image that cannot be pulled here (docs/docker.md,
# ../shared/docs/compose-in-ci.md). Sourced; the caller defines log, pass, fail, docker_cli,
# node_bin, standin_image and cache_dir, and its cleanup trap reads workdir and dockerd_pid.

# Starts dockerd in a new work folder /tmp/<prefix>.XXXXXX. Sets workdir, DOCKER_HOST (exported:
# every docker / docker-compose call after this uses this daemon only) and dockerd_pid.
start_private_dockerd() {
  local prefix=$1 other_dockerd
  # A second engine would share the default bridge (docker0) and the iptables chains with the first.
  if other_dockerd="$(pgrep -x dockerd)"; then
    fail "dockerd already runs here (pid $(echo $other_dockerd)): this test starts its own engine and would disturb that one"
  fi
  workdir="$(mktemp -d "/tmp/$prefix.XXXXXX")"
  log "starting dockerd in $workdir"
  export DOCKER_HOST="unix://$workdir/docker.sock"
  dockerd --data-root "$workdir/data" --exec-root "$workdir/exec" -H "$DOCKER_HOST" \
    --pidfile "$workdir/docker.pid" >"$workdir/dockerd.log" 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 300); do
    docker_cli info >/dev/null 2>&1 && break
    kill -0 "$dockerd_pid" 2>/dev/null || { tail -20 "$workdir/dockerd.log" >&2; fail "dockerd exited at start"; }
    sleep 0.2
  done
  docker_cli info >/dev/null 2>&1 || { tail -20 "$workdir/dockerd.log" >&2; fail "dockerd did not answer in 60 s"; }
  pass "dockerd $(docker_cli version --format '{{.Server.Version}}') up (pid $dockerd_pid)"
}

# Builds $standin_image: Debian bookworm minbase (debootstrap, cached a week in $cache_dir), with
# what the official image has and the app build relies on: node and npm in /usr/local, user `node`
# (uid 1000). What it does not have: this machine's npm cache, with npm told to stay offline.
build_standin_image() {
  local rootfs="$workdir/rootfs" minbase="$cache_dir/debian-bookworm-minbase.tar" npm_package npm_cache
  log "stand-in base image $standin_image"
  mkdir -p "$cache_dir"
  if [[ -f "$minbase" && -n "$(find "$minbase" -mtime -7)" ]]; then
    log "debootstrap result from the cache ($minbase)"
    mkdir -p "$rootfs" && tar -C "$rootfs" -xf "$minbase"
  else
    log "debootstrap --variant=minbase bookworm"
    timeout 600 debootstrap --variant=minbase bookworm "$rootfs" >"$workdir/debootstrap.log" 2>&1 ||
      { tail -20 "$workdir/debootstrap.log" >&2; fail "debootstrap failed"; }
    tar -C "$rootfs" -cf "$minbase.partial" . && mv "$minbase.partial" "$minbase"
  fi
  install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
  npm_package="$(npm root -g)/npm"
  [[ -f "$npm_package/bin/npm-cli.js" ]] || fail "npm's own package not found at $npm_package"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -a "$npm_package" "$rootfs/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" /usr/sbin/groupadd --gid 1000 node
  chroot "$rootfs" /usr/sbin/useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  npm_cache="$(npm config get cache)"
  [[ -d "$npm_cache/_cacache" ]] || fail "no npm cache at $npm_cache: run npm ci first"
  mkdir -p "$rootfs/root/.npm"
  cp -a "$npm_cache/_cacache" "$rootfs/root/.npm/_cacache"
  tar -C "$rootfs" -c . | docker_cli import \
    --change 'ENV npm_config_offline=true npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false' \
    --change 'CMD ["node"]' - "$standin_image" >/dev/null
  rm -rf "$rootfs"
  docker_cli run --rm "$standin_image" node --version | grep -q '^v24\.' || fail "the stand-in image does not run Node 24"
  pass "stand-in image: $(docker_cli run --rm "$standin_image" sh -c 'echo node $(node --version), npm $(npm --version)')"
}
