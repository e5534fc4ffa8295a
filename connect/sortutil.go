package connect

import (
	"fmt"
	"sort"
)

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortedKeysS(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sortEntries(e []MapEntry) {
	sort.Slice(e, func(i, j int) bool { return fmt.Sprint(e[i].Key) < fmt.Sprint(e[j].Key) })
}
