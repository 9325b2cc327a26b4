#!/usr/bin/env bash
# Validates deploy/monitoring with promtool (Debian: `apt-get install prometheus` provides
# /usr/bin/promtool): the alerting rules (syntax, PromQL, lint), their unit tests, and the example
# Prometheus configuration with the rules it loads. .ci/run runs it (phase `monitoring`), installing
# promtool first when it is missing. The dashboard is checked by the vitest suite
# (apps/server/test/monitoring.test.ts: every query names only metrics the app exposes).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
command -v promtool >/dev/null || {
  echo "check.sh: promtool is not installed (Debian: apt-get install prometheus)" >&2
  exit 2
}
promtool --version 2>&1 | head -1

shopt -s nullglob
rules=(*.rules.yml)
tests=(tests/*.test.yml)
((${#rules[@]})) || { echo "check.sh: no *.rules.yml here" >&2; exit 1; }
((${#tests[@]})) || { echo "check.sh: no tests/*.test.yml here" >&2; exit 1; }

promtool check rules --lint=all --lint-fatal "${rules[@]}"
promtool test rules "${tests[@]}"

# promtool check config also checks that the files it names exist: check a copy whose credentials
# file is a throwaway one (the example names /etc/prometheus/…), with the rule files beside it.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp prometheus.yml "${rules[@]}" "$tmp/"
printf 'example-metrics-token\n' >"$tmp/metrics-token"
sed -i "s#credentials_file: .*#credentials_file: $tmp/metrics-token#" "$tmp/prometheus.yml"
grep -q "credentials_file: $tmp/metrics-token" "$tmp/prometheus.yml" || { echo "check.sh: prometheus.yml has no credentials_file to point at a test token" >&2; exit 1; }
promtool check config --lint=all --lint-fatal "$tmp/prometheus.yml"
echo "deploy/monitoring: rules, rule tests and prometheus.yml are valid"
