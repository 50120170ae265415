#!/usr/bin/env bash
# Leak Lab — the one entry point.
#   ./run.sh article-max-requests [key=value ...] [--out DIR]   run a scenario
#   ./run.sh test [dotnet-test filter ...]                       the whole test suite
#   ./run.sh --help                                              every command
# On first use (and whenever sources changed) it restores and builds the lab (Release,
# incrementally, quietly) and publishes the dotnet engine's NativeAOT processes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export LAB_ROOT="$ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_CLI_UI_LANGUAGE=en MSBUILDTERMINALLOGGER=off

CLI="$ROOT/src/Lab.Cli/bin/Release/net10.0/Lab.Cli"
STAMP="$ROOT/.build-stamp"
AOT_STAMP="$ROOT/.build-stamp-aot"
BIN="$ROOT/artifacts/bin"

say() { printf '%s\n' "$*" >&2; }

need_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    say "error: the .NET SDK (dotnet) is not on PATH. Leak Lab needs the .NET 10 SDK:"
    say "  https://dotnet.microsoft.com/download  (Debian: apt-get install -y dotnet-sdk-10.0 from Microsoft's package feed)"
    exit 2
  fi
}

# Prints the first source file newer than the given stamp (nothing if up to date).
changed_since() {
  local stamp=$1; shift
  [ -f "$stamp" ] || { echo "(no stamp)"; return; }
  find "$@" -newer "$stamp" -type f \
    -not -path '*/bin/*' -not -path '*/obj/*' -not -path '*/TestResults/*' \
    -not -path '*/BenchmarkDotNet.Artifacts/*' -print -quit 2>/dev/null
}

build() {
  need_dotnet
  # one build at a time: a second ./run.sh started meanwhile waits, then finds it built
  ( flock 9; build_locked ) 9>"$ROOT/.build-lock" || exit 1
}

build_locked() {
  local srcs=("$ROOT/src" "$ROOT/tests" "$ROOT/Lab.sln" "$ROOT/Directory.Build.props" "$ROOT/Directory.Packages.props")
  if [ -n "$(changed_since "$STAMP" "${srcs[@]}")" ] || [ ! -x "$CLI" ]; then
    [ -f "$STAMP" ] && say "building Leak Lab (sources changed) ..." || say "building Leak Lab (first run: restore + build, about a minute) ..."
    local log; log="$(mktemp)"
    # the stamp is taken before the build, so a file changed while it runs is built next time
    touch "$STAMP.next"
    if ! dotnet build "$ROOT/Lab.sln" -c Release -nologo -v q -clp:ErrorsOnly >"$log" 2>&1; then
      cat "$log" >&2; rm -f "$log" "$STAMP.next"
      say "error: the build failed (output above)."
      exit 1
    fi
    rm -f "$log"
    mv -f "$STAMP.next" "$STAMP"
  fi
  # The dotnet engine's master and child processes, NativeAOT (fast start, small RSS).
  local aot=("$ROOT/src/Lab.Core" "$ROOT/src/Lab.FastCgi" "$ROOT/src/Lab.Scoreboard" "$ROOT/src/Lab.Worker" "$ROOT/src/Lab.Pool" "$ROOT/Directory.Build.props" "$ROOT/Directory.Packages.props")
  if [ -n "$(changed_since "$AOT_STAMP" "${aot[@]}")" ] || [ ! -x "$BIN/Lab.Worker" ] || [ ! -x "$BIN/Lab.Pool" ]; then
    say "publishing the dotnet engine's processes (NativeAOT) ..."
    touch "$AOT_STAMP.next"
    local p log
    for p in Lab.Worker Lab.Pool; do
      log="$(mktemp)"
      if ! dotnet publish "$ROOT/src/$p" -c Release -r linux-x64 -o "$BIN" -nologo -v q -clp:ErrorsOnly >"$log" 2>&1; then
        cat "$log" >&2; rm -f "$log"
        say "error: publishing $p failed (output above)."
        exit 1
      fi
      rm -f "$log"
    done
    mv -f "$AOT_STAMP.next" "$AOT_STAMP"
  fi
}

# The real stack the tests need (php-fpm + FFI, nginx, chromium for the report check, pandas for the big-run check):
# installed from the distribution's packages when we are root, else the exact command is printed.
ensure_stack() {
  local missing=()
  command -v php-fpm8.2 >/dev/null 2>&1 || [ -x /usr/sbin/php-fpm8.2 ] || missing+=(php8.2-fpm php8.2-cli)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # the big-run test reads a gzipped results folder with pandas, as a user's notebook would
  /usr/bin/python3 -c 'import pandas' >/dev/null 2>&1 || missing+=(python3-pandas)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]} with apt-get (needed by the real-stack tests) ..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    say "error: the tests need ${missing[*]}. Install them with:"
    say "  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    exit 2
  fi
}

case "${1:-}" in
  test)
    shift
    build
    ensure_stack
    say "running the test suite ..."
    # one test project at a time (-m:1): the real-stack tests time php-fpm, nginx and the dotnet
    # pool on 2 cores, and other projects' tests running beside them made them flaky
    args=(test "$ROOT/Lab.sln" -c Release --no-build -nologo -v q -m:1 --logger "console;verbosity=minimal")
    if [ $# -gt 0 ]; then args+=(--filter "$*"); fi
    exec dotnet "${args[@]}"
    ;;
  bench)
    # BenchmarkDotNet: ./run.sh bench '*Sim*' (a filter), or ./run.sh bench to list them.
    shift
    build
    if [ $# -gt 0 ]; then
      exec dotnet run -c Release --project "$ROOT/tests/Lab.Benchmarks" --no-build -- --filter "$@"
    fi
    exec dotnet run -c Release --project "$ROOT/tests/Lab.Benchmarks" --no-build -- --list flat
    ;;
  "")
    build
    exec "$CLI" --help
    ;;
  *)
    build
    exec "$CLI" "$@"
    ;;
esac
