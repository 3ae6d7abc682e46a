# Sourced by ./evomerge and ./verify: one way to find the JDK 25 that runs and builds evomerge.
# Looks at JAVA_HOME, `java` on PATH, then the JDKs under EVOMERGE_JVM_DIRS (default /usr/lib/jvm), and takes the first
# whose feature version is 25 or newer; a JDK 17 first on PATH (Debian's default) is skipped, not used.

java_major() { # prints the feature version of the java binary $1, or nothing
    "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p' | head -n1
}

find_java() { # prints the path of a java binary of JDK >= 25, or returns 1
    local candidates=()
    [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME/bin/java")
    command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
    local jvm_dirs="${EVOMERGE_JVM_DIRS:-/usr/lib/jvm}"
    for d in "$jvm_dirs"/*25* "$jvm_dirs"/*; do
        [[ -x "$d/bin/java" ]] && candidates+=("$d/bin/java")
    done
    for j in "${candidates[@]}"; do
        local v
        v="$(java_major "$j" || true)"
        if [[ -n "$v" && "$v" -ge 25 ]]; then
            echo "$j"
            return 0
        fi
    done
    return 1
}

# Exports JAVA_HOME (and puts its bin first on PATH) for the JDK found, or prints one sentence naming where it looked
# and exits 2. $1 names the caller in the message.
use_jdk25() {
    local java_bin
    if ! java_bin="$(find_java)"; then
        echo "$1: no JDK 25 or newer found; install one and set JAVA_HOME to it (looked at JAVA_HOME, java on PATH and ${EVOMERGE_JVM_DIRS:-/usr/lib/jvm})." >&2
        exit 2
    fi
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$java_bin")")")"
    export JAVA_HOME
    export PATH="$JAVA_HOME/bin:$PATH"
}
