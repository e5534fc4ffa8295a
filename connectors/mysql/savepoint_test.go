package mysql

import "testing"

func TestSavepointName(t *testing.T) {
	for q, want := range map[string]string{
		"SAVEPOINT `s1`":               "s1",
		"SAVEPOINT s1":                 "s1",
		"ROLLBACK TO `S1`":             "s1",
		"ROLLBACK WORK TO SAVEPOINT a": "a",
		"rollback to savepoint `a``b`": "a`b",
		"SAVEPOINT `two words`":        "two words",
	} {
		if got := savepointName(q); got != want {
			t.Errorf("savepointName(%q) = %q, want %q", q, got, want)
		}
	}
}
