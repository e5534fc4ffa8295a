#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a short time ($1, default 4s), so
# that `make test` exercises each decoder with generated inputs and not only
# its seed corpus. A crash fails the run and leaves the input in testdata/fuzz.
set -euo pipefail
fuzztime=${1:-4s}
cd "$(git rev-parse --show-toplevel)"
passed=0
failed=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "fuzz ./$dir $target ($fuzztime)"
    if go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "./$dir" >/tmp/sluice-fuzz.log 2>&1; then
      passed=$((passed + 1))
    else
      cat /tmp/sluice-fuzz.log
      failed=$((failed + 1))
    fi
  done
done < <(git ls-files '*_test.go' | xargs grep -l '^func Fuzz' 2>/dev/null || true)
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
