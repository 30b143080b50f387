# shellcheck shell=bash
# What scripts/test does to have a MariaDB the tests can use: nothing when a
# server answers, start the installed one when it is stopped, install
# Debian's mariadb-server when there is none. Sourced by scripts/test; the
# decision (`mariadb_plan`) is tested by fleetd/tests/deploy/scripts.rs.
#
# MARIADB_PORT and MARIADBD may be overridden (tests).
: "${MARIADB_PORT:=3306}"
: "${MARIADBD:=/usr/sbin/mariadbd}"

# Whether anything accepts connections on the MariaDB port.
mariadb_answers() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/${MARIADB_PORT}" 2>/dev/null
}

# Prints what to do: ok | start | install.
mariadb_plan() {
    if mariadb_answers; then
        echo ok
    elif [ -x "$MARIADBD" ]; then
        echo start
    else
        echo install
    fi
}

mariadb_start() {
    start-stop-daemon --start --oknodo --background --exec "$MARIADBD"
    for _ in $(seq 1 60); do
        if mariadb_answers; then
            return 0
        fi
        sleep 1
    done
    echo "MariaDB did not come up on 127.0.0.1:${MARIADB_PORT}" >&2
    return 1
}

mariadb_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
    # Debian's package may not start it without systemd as PID 1.
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
}

# Ensures a server answers, installing or starting one as needed.
ensure_local_mariadb() {
    case "$(mariadb_plan)" in
    ok) ;;
    start)
        echo "== starting MariaDB" >&2
        mariadb_start
        ;;
    install)
        echo "== installing mariadb-server (no server answers and none is installed)" >&2
        mariadb_install
        mariadb_start
        ;;
    esac
}
