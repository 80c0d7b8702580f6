#!/usr/bin/env bash
# A throwaway PostgreSQL for the ledger's tests (issue 30), from Debian's `postgresql`
# package: initdb and pg_ctl into a new temporary folder, listening on 127.0.0.1 at a random
# port and on a unix socket in that folder, SCRAM-SHA-256 passwords only (no trust, no peer),
# the passwords in a passfile (0600), never on a command line.
#
#   scripts/pg-throwaway.sh start [--tls] [--watch PID]
#                                           starts one; prints its settings (below) and leaves it
#                                           running (with --watch, until process PID has ended:
#                                           a test stops it so even when it is killed)
#   scripts/pg-throwaway.sh stop DIR        stops the one in DIR and removes DIR
#   scripts/pg-throwaway.sh restart DIR     restarts the one in DIR (fast shutdown: its
#                                           sessions are ended), on the same port
#   scripts/pg-throwaway.sh halt DIR        stops the one in DIR (fast shutdown), keeping DIR:
#                                           `restart DIR` starts it again
#   scripts/pg-throwaway.sh run [--tls] CMD [ARG...]
#                                           starts one, runs CMD with the settings in its
#                                           environment, then stops it and removes it (also
#                                           when CMD fails or the script is interrupted)
#
# Settings, one `NAME='value'` a line (`eval "$(scripts/pg-throwaway.sh start)"` reads them):
#   PG_DIR        the temporary folder (give it to `stop`)
#   PG_URL        postgres://keygen@127.0.0.1:PORT/keygen, the role `keygen` owning the
#                 database `keygen` (what a desk would use; no password in it)
#   PG_ADMIN_URL  the cluster's superuser `pgadmin`, database `postgres` (tests make their
#                 own databases and roles with it)
#   PGPASSFILE    the passfile holding both roles' passwords (libpq's format, 0600)
#   PG_SOCKET     the folder of the unix socket (host=PG_SOCKET in a libpq connection string)
#   PG_BIN        the folder of initdb, pg_ctl, psql and pg_dump
#   PG_PORT       the TCP port
#   PG_ROOT_CERT  with --tls: the CA certificate the server's certificate chains to (the
#                 server then also accepts TLS on TCP, with a certificate for 127.0.0.1 and
#                 localhost; sslmode=require&sslrootcert=PG_ROOT_CERT)
#
# PostgreSQL refuses to run as root: run as root, the server runs as the `postgres` user
# (made by Debian's package) or else `nobody`, and the folder is given to that user; the
# passfile and the CA stay the caller's. PG_BIN=... chooses another installation.
set -euo pipefail

die() {
  echo "pg-throwaway: $*" >&2
  exit 1
}

# Debian puts each major version's programs in /usr/lib/postgresql/NN/bin, outside PATH.
find_bin() {
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/initdb" ] || die "PG_BIN=$PG_BIN holds no initdb"
    echo "$PG_BIN"
    return
  fi
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then
    echo "$d"
    return
  fi
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
    return
  fi
  if command -v initdb >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return
  fi
  die "no PostgreSQL server found (initdb): apt-get install postgresql, or set PG_BIN"
}

# The user the server runs as, and how to run a command as it.
server_user=""
as_server() {
  if [ -n "$server_user" ]; then
    # -m keeps the environment; cd / because the caller's folder may be closed to that user.
    (cd / && runuser -u "$server_user" -m -- "$@")
  else
    "$@"
  fi
}
pick_user() {
  if [ "$(id -u)" -eq 0 ]; then
    if getent passwd postgres >/dev/null 2>&1; then
      server_user=postgres
    else
      server_user=nobody
    fi
    command -v runuser >/dev/null 2>&1 || die "run as root, this needs runuser (util-linux) to start the server as $server_user"
  fi
}

secret() {
  # 32 hex digits from the kernel's generator; the passwords never leave files.
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

make_tls() {
  local dir="$1" tls="$1/tls"
  command -v openssl >/dev/null 2>&1 || die "--tls needs openssl"
  mkdir -m 0700 "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=keygen throwaway CA" \
    -keyout "$tls/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$tls/ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$dir/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
    -days 2 -extfile "$tls/ext" -out "$tls/server.crt" 2>/dev/null
  rm -f "$tls/ca.key" "$tls/server.csr" "$tls/ext" "$dir/ca.srl"
  chmod 0600 "$tls/server.key"
  [ -z "$server_user" ] || chown -R "$server_user" "$tls"
}

start() {
  local tls=0 watch=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --tls) tls=1 ;;
      --watch)
        watch="${2:-}"
        [[ "$watch" =~ ^[0-9]+$ ]] || die "--watch needs a process id"
        shift
        ;;
      *) die "start: unknown option $1" ;;
    esac
    shift
  done
  local bin
  bin="$(find_bin)"
  local version
  version="$("$bin/postgres" --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')"
  [ "$version" -ge 13 ] || die "PostgreSQL $version at $bin: the ledger needs 13 or later"
  pick_user

  local dir
  dir="$(mktemp -d "${TMPDIR:-/tmp}/keygen-pg.XXXXXXXX")"
  touch "$dir/.keygen-pg-throwaway"
  # The server's half (data, socket, password file for initdb) belongs to its user; the
  # passfile and the CA certificate stay the caller's, beside it.
  mkdir -m 0700 "$dir/server"
  mkdir -m 0755 "$dir/socket"
  local admin_pw keygen_pw
  admin_pw="$(secret)"
  keygen_pw="$(secret)"
  (umask 077 && printf '%s\n' "$admin_pw" >"$dir/server/pwfile")
  [ -z "$server_user" ] || chown -R "$server_user" "$dir/server" "$dir/socket"
  chmod 0755 "$dir"
  [ "$tls" -eq 0 ] || make_tls "$dir"

  as_server "$bin/initdb" -D "$dir/server/data" -U pgadmin --pwfile="$dir/server/pwfile" \
    --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    >"$dir/server/initdb.log" 2>&1 || {
    cat "$dir/server/initdb.log" >&2
    die "initdb failed"
  }
  as_server rm -f "$dir/server/pwfile"
  {
    echo "password_encryption = 'scram-sha-256'"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$dir/socket'"
    echo "max_connections = 60"
    if [ "$tls" -eq 1 ]; then
      echo "ssl = on"
      echo "ssl_cert_file = '$dir/tls/server.crt'"
      echo "ssl_key_file = '$dir/tls/server.key'"
      echo "ssl_min_protocol_version = 'TLSv1.3'"
    fi
  } | as_server tee -a "$dir/server/data/postgresql.conf" >/dev/null

  # A random port; another program may hold it, so a few tries.
  local port="" try
  for try in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 40000))
    if as_server "$bin/pg_ctl" -D "$dir/server/data" -l "$dir/server/server.log" -w -t 60 \
      -o "-p $port" start >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  if [ -z "$port" ]; then
    cat "$dir/server/server.log" >&2 || true
    rm -rf "$dir"
    die "the server did not start (see its log above)"
  fi

  (umask 077 && {
    printf '127.0.0.1:%s:*:pgadmin:%s\n' "$port" "$admin_pw"
    printf 'localhost:%s:*:pgadmin:%s\n' "$port" "$admin_pw"
    printf '%s:%s:*:pgadmin:%s\n' "$dir/socket" "$port" "$admin_pw"
    printf '127.0.0.1:%s:*:keygen:%s\n' "$port" "$keygen_pw"
    printf 'localhost:%s:*:keygen:%s\n' "$port" "$keygen_pw"
    printf '%s:%s:*:keygen:%s\n' "$dir/socket" "$port" "$keygen_pw"
  } >"$dir/pgpass")
  # The role's password reaches psql on its standard input, never on a command line.
  PGPASSFILE="$dir/pgpass" "$bin/psql" -X -q -v ON_ERROR_STOP=1 \
    "host=$dir/socket port=$port user=pgadmin dbname=postgres" >/dev/null <<SQL || die "cannot create the role keygen"
\\set pw '$keygen_pw'
CREATE ROLE keygen LOGIN PASSWORD :'pw';
CREATE DATABASE keygen OWNER keygen ENCODING 'UTF8' TEMPLATE template0;
REVOKE ALL ON DATABASE keygen FROM PUBLIC;
SQL

  echo "PG_DIR='$dir'"
  echo "PG_URL='postgres://keygen@127.0.0.1:$port/keygen'"
  echo "PG_ADMIN_URL='postgres://pgadmin@127.0.0.1:$port/postgres'"
  echo "PGPASSFILE='$dir/pgpass'"
  echo "PG_SOCKET='$dir/socket'"
  echo "PG_BIN='$bin'"
  echo "PG_PORT='$port'"
  [ "$tls" -eq 0 ] || echo "PG_ROOT_CERT='$dir/ca.crt'"
  if [ -n "$watch" ]; then
    # Detached, its output nowhere, so that the caller reading ours sees its end now.
    setsid bash "$0" __watch "$watch" "$dir" </dev/null >/dev/null 2>&1 &
  fi
}

# Checks that $2 is a folder this script made (for command $1); sets bin and the server's user.
made_here() {
  [ -n "$2" ] && [ -f "$2/.keygen-pg-throwaway" ] || die "$1: ${2:-(none)} is not a folder this script made"
  bin="$(find_bin)"
  pick_user
}

stop() {
  local dir="${1:-}" bin
  made_here stop "$dir"
  if [ -f "$dir/server/data/postmaster.pid" ]; then
    as_server "$bin/pg_ctl" -D "$dir/server/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

restart() {
  local dir="${1:-}" bin
  made_here restart "$dir"
  as_server "$bin/pg_ctl" -D "$dir/server/data" -l "$dir/server/server.log" -m fast -w -t 60 restart >/dev/null ||
    die "the server in $dir did not restart (see $dir/server/server.log)"
}

halt() {
  local dir="${1:-}" bin
  made_here halt "$dir"
  as_server "$bin/pg_ctl" -D "$dir/server/data" -m fast -w -t 60 stop >/dev/null ||
    die "the server in $dir did not stop (see $dir/server/server.log)"
}

case "${1:-}" in
  restart)
    shift
    restart "$@"
    ;;
  halt)
    shift
    halt "$@"
    ;;
  start)
    shift
    start "$@"
    ;;
  stop)
    shift
    stop "$@"
    ;;
  __watch)
    # Once a second: a watcher, not a test; its delay only delays the cleanup.
    while kill -0 "$2" 2>/dev/null; do sleep 1; done
    stop "$3"
    ;;
  run)
    shift
    tls=()
    if [ "${1:-}" = "--tls" ]; then
      tls=(--tls)
      shift
    fi
    [ $# -gt 0 ] || die "run: no command given"
    settings="$(start "${tls[@]}")"
    eval "$settings"
    # errexit off in the trap: bash leaves an EXIT trap at its first failing command.
    trap 'set +e; stop "$PG_DIR"' EXIT
    trap 'exit 130' INT TERM
    export PG_DIR PG_URL PG_ADMIN_URL PGPASSFILE PG_SOCKET PG_BIN PG_PORT
    [ -z "${PG_ROOT_CERT:-}" ] || export PG_ROOT_CERT
    status=0
    "$@" || status=$?
    exit "$status"
    ;;
  *)
    sed -n '2,32p' "$0" >&2
    exit 2
    ;;
esac
