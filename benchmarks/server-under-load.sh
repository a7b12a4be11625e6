# Sourced by benchmarks/profile-server and benchmarks/c-baseline/compare: one echo server pinned to CPU 0 under
# the original load from EchoBench pinned to CPU 1, with its CPU time read from /proc. The caller sets `tool` (its
# name, for messages) and `port`, `connections`, `window` before calling these; the working directory is the
# repository root.

# Load before the measured window, as ./bench's default: every server's JIT settles first (Netty io_uring's takes
# longer than 8 s), so what is measured or profiled is the warmed-up server.
warmup=30
java=${JAVA:-$(ls -d /usr/lib/jvm/temurin-25*/bin/java /usr/lib/jvm/*25*/bin/java 2>/dev/null | head -1)}

# Checks that the JDK and both jars are there; makes $work (removed at exit, with the server stopped).
setup_server_under_load() {
    [[ -x "$java" ]] || { echo "$tool: no JDK 25 found; set JAVA=/path/to/bin/java" >&2; exit 1; }
    local jar
    for jar in echo-app/target/echo-app.jar benchmarks/target/benchmarks.jar; do
        [[ -f $jar ]] || { echo "$tool: $jar missing; build with: mvn -q -DskipTests package" >&2; exit 1; }
    done
    work=$(mktemp -d)
    server=
    trap cleanup_server_under_load EXIT
}

cleanup_server_under_load() {
    local status=$?
    stop_server
    rm -rf "$work"
    exit "$status"
}

# Starts COMMAND... on CPU 0 (output in $work/server.log) as $server and waits until it listens on $port.
start_server() {
    taskset -c 0 "$@" > "$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return
        kill -0 "$server" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
        sleep 0.1
    done
    echo "$tool: the server did not listen on 127.0.0.1:$port within 10 s; its output:" >&2
    cat "$work/server.log" >&2
    exit 1
}

stop_server() {
    if [[ -n $server ]] && kill "$server" 2>/dev/null; then
        wait "$server" 2>/dev/null || true   # the port is free again for the next run
    fi
    server=
}

# Starts EchoBench on CPU 1 against $port as $client (output in $work/client.log), then sleeps through its warm-up;
# finish_load waits for it.
# CLIENT_MODE picks EchoBench's --mode (default ring, the cheapest client per request, as ./bench uses).
start_load() {
    taskset -c 1 "$java" --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
        io.ringline.bench.EchoBench -a "127.0.0.1:$port" -c "$connections" -l 512 -t "$window" --warmup "$warmup" \
        --mode "${CLIENT_MODE:-ring}" > "$work/client.log" 2>&1 &
    client=$!
    sleep "$warmup.2"
}

# Waits for EchoBench to end; if it failed, shows why before the exit trap removes its log.
finish_load() {
    wait "$client" && return
    echo "$tool: the load client failed; its output:" >&2
    cat "$work/client.log" >&2
    exit 1
}

# utime + stime of the whole server process, in clock ticks (proc(5): fields 14 and 15).
server_ticks() {
    awk '{print $14 + $15}' "/proc/$server/stat"
}

# One counter of this network namespace from FILE (/proc/net/snmp or /proc/net/netstat, proc(5)): a line of names
# after PREFIX ("Tcp:", "TcpExt:") and then a line of values; prints the value under NAME.
proc_net_counter() {
    awk -v prefix="$2" -v wanted="$3" '$1 == prefix {
            if (names) { for (i = 2; i <= NF; i++) if (name[i] == wanted) print $i } else for (i = 2; i <= NF; i++) name[i] = $i
            names = !names
        }' "$1"
}

# "OUTSEGS ORIGDATASENT": TCP segments sent and, of those, the ones that carried new data. Loopback: client and
# server segments both count.
tcp_segments() {
    echo "$(proc_net_counter /proc/net/snmp Tcp: OutSegs) $(proc_net_counter /proc/net/netstat TcpExt: TCPOrigDataSent)"
}
