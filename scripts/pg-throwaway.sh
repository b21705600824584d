#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1, for tests and benchmarks.
#
#   bash scripts/pg-throwaway.sh start [DBNAME]
#       Creates a cluster in a fresh /tmp/bs-pg.XXXXXX directory (trust auth,
#       fsync off), starts it on the first free port from 55432 up (or from
#       $PG_THROWAWAY_PORT), creates DBNAME if given, and prints, one per line:
#         DATABASE_URL=postgres://postgres@127.0.0.1:PORT/DBNAME   (default DBNAME: postgres)
#         PG_ADMIN_URL=postgres://postgres@127.0.0.1:PORT/postgres
#         PG_PORT=PORT
#         PG_DIR=/tmp/bs-pg.XXXXXX
#       The lines can be eval'ed. Progress and errors go to stderr.
#   bash scripts/pg-throwaway.sh stop DIR
#       Stops the cluster in DIR (fast shutdown) and deletes DIR. Safe to call
#       twice, or on a cluster that never started.
#
# It can also be sourced: it then defines pg_throwaway_start / pg_throwaway_stop.
# Needs Debian's postgresql package (initdb, pg_ctl under /usr/lib/postgresql/N/bin).
# As root it runs the server as the "postgres" user; otherwise as the caller.

pg_throwaway_bindir() {
    local d
    d=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1) || true
    if [[ -z "$d" || ! -x "$d/initdb" ]]; then
        echo "pg-throwaway: no PostgreSQL server found under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
        return 1
    fi
    printf '%s\n' "$d"
}

# Run a command as the cluster owner.
pg_throwaway_as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_throwaway_port_busy() {
    # Something accepts connections there, or a socket is bound to it.
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        return 0
    fi
    if command -v ss >/dev/null 2>&1 && ss -Htan "sport = :$1" 2>/dev/null | grep -q .; then
        return 0
    fi
    return 1
}

pg_throwaway_start() {
    local dbname=${1:-postgres}
    local bindir dir port first tries=0
    bindir=$(pg_throwaway_bindir) || return 1
    dir=$(mktemp -d /tmp/bs-pg.XXXXXX) || return 1
    chmod 700 "$dir"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown postgres:postgres "$dir"
    fi
    if ! pg_throwaway_as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
        --no-locale --no-sync >"$dir/initdb.log" 2>&1; then
        echo "pg-throwaway: initdb failed:" >&2
        tail -n 20 "$dir/initdb.log" >&2
        rm -rf "$dir"
        return 1
    fi
    first=${PG_THROWAWAY_PORT:-55432}
    port=$first
    while :; do
        if ((tries >= 50)); then
            echo "pg-throwaway: no free port in $first..$((first + 49))" >&2
            rm -rf "$dir"
            return 1
        fi
        tries=$((tries + 1))
        if pg_throwaway_port_busy "$port"; then
            port=$((port + 1))
            continue
        fi
        if pg_throwaway_as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >"$dir/pg_ctl.log" 2>&1; then
            break
        fi
        if grep -qiE 'could not bind|address already in use|could not create any TCP/IP sockets' "$dir/pg.log" 2>/dev/null; then
            # Lost a race for the port: try the next one.
            : >"$dir/pg.log"
            port=$((port + 1))
            continue
        fi
        echo "pg-throwaway: the server did not start:" >&2
        tail -n 20 "$dir/pg_ctl.log" "$dir/pg.log" >&2 2>/dev/null
        pg_throwaway_stop "$dir"
        return 1
    done
    if [[ "$dbname" != postgres ]]; then
        if ! "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres \
            -c "create database \"$dbname\"" >&2; then
            echo "pg-throwaway: could not create database $dbname" >&2
            pg_throwaway_stop "$dir"
            return 1
        fi
    fi
    echo "pg-throwaway: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port in $dir" >&2
    printf 'DATABASE_URL=postgres://postgres@127.0.0.1:%s/%s\n' "$port" "$dbname"
    printf 'PG_ADMIN_URL=postgres://postgres@127.0.0.1:%s/postgres\n' "$port"
    printf 'PG_PORT=%s\n' "$port"
    printf 'PG_DIR=%s\n' "$dir"
}

pg_throwaway_stop() {
    local dir=${1:-}
    local bindir
    if [[ -z "$dir" ]]; then
        echo "pg-throwaway: usage: stop DIR" >&2
        return 2
    fi
    if [[ ! -d "$dir" ]]; then
        return 0
    fi
    case "$dir" in
        /tmp/bs-pg.*) ;;
        *)
            echo "pg-throwaway: refusing to delete $dir (not a /tmp/bs-pg.* directory)" >&2
            return 2
            ;;
    esac
    if [[ -f "$dir/data/postmaster.pid" ]]; then
        bindir=$(pg_throwaway_bindir) || bindir=""
        if [[ -n "$bindir" ]]; then
            pg_throwaway_as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
                pg_throwaway_as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
                true
        fi
    fi
    rm -rf "$dir"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    case "${1:-}" in
        start)
            shift
            pg_throwaway_start "$@"
            ;;
        stop)
            shift
            pg_throwaway_stop "$@"
            ;;
        *)
            echo "usage: $0 start [DBNAME] | stop DIR" >&2
            exit 2
            ;;
    esac
fi
