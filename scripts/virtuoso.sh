#!/usr/bin/env bash
# A throw-away Virtuoso Open Source server on loopback, for the remote graph store's tests and for
# trying `fzkg ingest --store URL` by hand.
#
#   scripts/virtuoso.sh install      install Debian's Virtuoso binaries when virtuoso-t is missing
#   scripts/virtuoso.sh start DIR    start a server whose ini, database and log live in DIR (made
#                                    if missing), on two free loopback ports; prints the SPARQL
#                                    endpoint URL (also left in DIR/endpoint)
#   scripts/virtuoso.sh stop DIR     stop the server started in DIR
#
# Only the binary package is installed: the `virtuoso-opensource` package's own service would ask
# debconf for a password and start a system-wide server on the fixed ports 1111 and 8890.
set -euo pipefail

PACKAGE=virtuoso-opensource-7-bin
START_SECONDS=60

die() { echo "virtuoso.sh: $*" >&2; exit 1; }

install_virtuoso() {
  command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1 && return 0
  local apt_get
  if [ "$(id -u)" = 0 ]; then apt_get="apt-get"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then apt_get="sudo -n apt-get"
  else die "virtuoso-t is missing and installing $PACKAGE needs root"; fi
  $apt_get update -qq >/dev/null || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq --no-install-recommends "$PACKAGE" >/dev/null \
    || die "installing $PACKAGE failed"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local dir="$1"
  install_virtuoso
  mkdir -p "$dir/db" "$dir/www"
  dir="$(cd "$dir" && pwd)"
  if [ -f "$dir/virtuoso.pid" ] && kill -0 "$(cat "$dir/virtuoso.pid")" 2>/dev/null; then
    cat "$dir/endpoint"
    return 0
  fi
  local sql_port http_port
  sql_port="$(free_port)"
  http_port="$(free_port)"
  [ "$sql_port" != "$http_port" ] || http_port="$(free_port)"
  # Own paths for every file the server writes, so nothing lands in /var/lib; DirsAllowed keeps
  # SQL file functions inside DIR. ResultSetMaxRows: Virtuoso silently cuts every answer at this
  # many rows (the sample ini says 10000), which would cut a per-graph dump or a big SELECT.
  cat > "$dir/virtuoso.ini" <<EOF
[Database]
DatabaseFile       = $dir/db/virtuoso.db
ErrorLogFile       = $dir/db/virtuoso.log
LockFile           = $dir/db/virtuoso.lck
TransactionFile    = $dir/db/virtuoso.trx
xa_persistent_file = $dir/db/virtuoso.pxa
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = $dir/db/virtuoso-temp.db
TransactionFile = $dir/db/virtuoso-temp.trx

[Parameters]
ServerPort         = 127.0.0.1:$sql_port
DirsAllowed        = $dir
NumberOfBuffers    = 20000
MaxDirtyBuffers    = 15000
CheckpointInterval = 60

[HTTPServer]
ServerPort    = 127.0.0.1:$http_port
ServerRoot    = $dir/www
ServerThreads = 12

[SPARQL]
ResultSetMaxRows      = 1000000
MaxQueryExecutionTime = 120
EOF
  # -f: stay in the foreground of this background job, so that its pid is the server's
  (cd "$dir" && exec virtuoso-t -f -c "$dir/virtuoso.ini" >"$dir/virtuoso.out" 2>&1 </dev/null) &
  echo $! > "$dir/virtuoso.pid"
  local endpoint="http://127.0.0.1:$http_port/sparql"
  local deadline=$((SECONDS + START_SECONDS))
  until python3 - "$endpoint" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "?query=ASK%7B%7D", timeout=2).read()
PY
  do
    if ! kill -0 "$(cat "$dir/virtuoso.pid")" 2>/dev/null; then
      tail -n 20 "$dir/virtuoso.out" >&2 || true
      die "virtuoso-t exited while starting (log: $dir/virtuoso.out)"
    fi
    if [ $SECONDS -ge $deadline ]; then
      stop "$dir"
      die "virtuoso-t did not answer at $endpoint within ${START_SECONDS}s"
    fi
    sleep 0.2
  done
  # The anonymous user of /sparql may read only; ingest writes through it with SPARQL Update.
  isql-vt "127.0.0.1:$sql_port" dba dba exec='GRANT SPARQL_UPDATE TO "SPARQL";' >"$dir/isql.out" 2>&1 \
    || { cat "$dir/isql.out" >&2; stop "$dir"; die "granting SPARQL_UPDATE failed"; }
  echo "$endpoint" > "$dir/endpoint"
  echo "$endpoint"
}

stop() {
  local dir="$1" pid
  [ -f "$dir/virtuoso.pid" ] || return 0
  pid="$(cat "$dir/virtuoso.pid")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/virtuoso.pid"
}

case "${1:-}" in
  install) install_virtuoso ;;
  start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
  *) die "usage: $0 install | start DIR | stop DIR" ;;
esac
