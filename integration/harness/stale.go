package harness

import "sync"

// Every server's files live under os.TempDir()/staleDirPrefix*, with
// ownerFile holding the pid of the process that started it.
const (
	staleDirPrefix = "sluice-mariadb-"
	ownerFile      = "owner.pid"
)

var sweepStaleDirsOnce sync.Once
