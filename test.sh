#!/usr/bin/env bash
# The test command: installs the system packages the tests need when they are missing
# (redis-server for the Redis fixtures, redis-cli to form the test cluster, Debian's chromium for the browser tests,
# the sqlite3 client as the outside writer of the change-feed tests, PostgreSQL's server for the tests that run on it),
# then runs every test:
# first the deterministic suite, then the Stress and Soak categories (races under random load, faults over seconds).
# Extra arguments (e.g. -c Release) go to both `dotnet test` runs. Screenshots go to the test output;
# UPDATE_SCREENSHOTS=1 refreshes the README's pictures in wwwroot-assets/screenshots instead.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/sqlite3 ] || missing+=(sqlite3)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

dotnet test QsetDashboard.sln --logger "console;verbosity=normal" --filter "Category!=Stress&Category!=Soak" "$@"
dotnet test QsetDashboard.sln --no-build --logger "console;verbosity=normal" --filter "Category=Stress|Category=Soak" "$@"
